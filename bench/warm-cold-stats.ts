// Summaries of a burst of runs for bench/warm-cold.ts (pure, unit-tested).
import { counterSum } from '../test/support/installed-operator.js';
import { percentile } from './pod-start-stats.js';

export interface RunSample {
  /** Create request sent → terminal status seen by a watch, in ms. */
  latencyMs: number;
  /** When the create was sent and the terminal status seen, ms since the burst began. */
  createdAtMs: number;
  finishedAtMs: number;
  verdict: string;
  path: string;
  /** For a run that was not Accepted: its name, status message and first test's stderr. */
  name?: string;
  detail?: string;
}

export interface BurstSummary {
  runs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
  /** Runs per second from the first create to the last terminal status. */
  throughputPerSecond: number;
  /** Runs by verdict, and by the path that served them (status.path). */
  verdicts: Record<string, number>;
  paths: Record<string, number>;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export function summarizeBurst(samples: readonly RunSample[]): BurstSummary {
  if (samples.length === 0) throw new Error('a burst without samples');
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const first = Math.min(...samples.map((s) => s.createdAtMs));
  const last = Math.max(...samples.map((s) => s.finishedAtMs));
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    runs: samples.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1]!),
    minMs: round(sorted[0]!),
    throughputPerSecond: round((samples.length * 1000) / Math.max(1, last - first)),
    verdicts: countBy(samples.map((s) => s.verdict)),
    paths: countBy(samples.map((s) => s.path)),
  };
}

export interface ChartSeries {
  label: string;
  summary: Pick<BurstSummary, 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs'>;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A grouped bar chart (log scale) of p50/p95/p99/max per series, as standalone SVG. */
export function latencyChartSvg(title: string, series: readonly ChartSeries[]): string {
  const stats = ['p50Ms', 'p95Ms', 'p99Ms', 'maxMs'] as const;
  const colors = ['#2b6cb0', '#38a169', '#d69e2e', '#c53030'];
  const width = 160 + series.length * 150;
  const height = 380;
  const top = 50;
  const bottom = 320;
  const left = 70;
  const all = series.flatMap((s) => stats.map((k) => s.summary[k]));
  const lo = 10;
  const hi = 10 ** Math.ceil(Math.log10(Math.max(lo * 10, ...all)));
  const y = (ms: number) => bottom - ((Math.log10(Math.max(lo, ms)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  for (let decade = lo; decade <= hi; decade *= 10) {
    const label = decade >= 1000 ? `${decade / 1000} s` : `${decade} ms`;
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y(decade)}" y2="${y(decade)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(decade) + 4}" text-anchor="end">${label}</text>`);
  }
  series.forEach((s, i) => {
    const x0 = left + 20 + i * 150;
    stats.forEach((k, j) => {
      const v = s.summary[k];
      parts.push(`<rect x="${x0 + j * 28}" y="${y(v)}" width="24" height="${bottom - y(v)}" fill="${colors[j]}"><title>${k} ${v} ms</title></rect>`);
    });
    parts.push(`<text x="${x0 + 54}" y="${bottom + 18}" text-anchor="middle">${escape(s.label)}</text>`);
    parts.push(`<text x="${x0 + 54}" y="${bottom + 34}" text-anchor="middle" fill="#555">p50 ${Math.round(s.summary.p50Ms)} ms</text>`);
  });
  stats.forEach((k, j) => {
    parts.push(`<rect x="${left + j * 90}" y="${height - 22}" width="12" height="12" fill="${colors[j]}"/>`);
    parts.push(`<text x="${left + j * 90 + 16}" y="${height - 12}">${k.replace('Ms', '')}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The p50s of one burst size side by side, each as a multiple of the floor's. */
export function ratiosToFloor(p50ByPath: Readonly<Record<string, number>>): Record<string, number> {
  const floor = p50ByPath['floor'];
  if (floor === undefined || floor <= 0) throw new Error('no floor series to compare with');
  const out: Record<string, number> = {};
  for (const [path, p50] of Object.entries(p50ByPath)) out[path] = Math.round((p50 / floor) * 100) / 100;
  return out;
}

export interface SustainedStep {
  ratePerSecond: number;
  summary: BurstSummary;
}

/** The highest rate whose p99 stayed under `p99LimitMs` and whose runs were all Accepted; undefined if none. */
export function highestSustainedRate(steps: readonly SustainedStep[], p99LimitMs: number): number | undefined {
  const ok = steps.filter((s) => s.summary.p99Ms < p99LimitMs && s.summary.verdicts['Accepted'] === s.summary.runs);
  return ok.length === 0 ? undefined : Math.max(...ok.map((s) => s.ratePerSecond));
}

/**
 * The mean milliseconds per stage of the runs observed between two scrapes of the operator's
 * coderun_run_stage_duration_seconds, for one path, in the operator's stage order.
 */
export function stageBreakdownMs(before: string, after: string, path: string, stages: readonly string[]): Array<{ stage: string; meanMs: number; runs: number }> {
  const family = 'coderun_run_stage_duration_seconds';
  const out: Array<{ stage: string; meanMs: number; runs: number }> = [];
  for (const stage of stages) {
    const labels = { path, stage };
    const delta = (suffix: string) => counterSum(after, `${family}_${suffix}`, labels) - counterSum(before, `${family}_${suffix}`, labels);
    const runs = delta('count');
    if (runs > 0) out.push({ stage, meanMs: Math.round((delta('sum') / runs) * 10000) / 10, runs });
  }
  return out;
}

/** Where a burst's runs spent their time, on average: the operator's stages and the rest. */
export interface Breakdown {
  stages: Array<{ stage: string; meanMs: number; runs: number }>;
  operatorMs: number;
  outsideOperatorMs: number;
  meanLatencyMs: number;
}

/** One burst size's series as the benchmark records them. */
export interface BurstRecord {
  burst: number;
  p50RatioToFloor: Record<string, number>;
  series: Array<BurstSummary & { path: string; breakdown?: Breakdown }>;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** The README's tables of one benchmark run: bursts with ratios to the floor, sustained rates, warm stages. */
export function markdownTables(
  bursts: readonly BurstRecord[],
  sustained: Readonly<Record<string, { highestRatePerSecond: number | null; steps: Array<{ ratePerSecond: number; p50Ms: number; p99Ms: number }> }>>,
  stageOrder: readonly string[],
): string {
  const lines = ['| burst | path | p50 | p50 / floor p50 | p99 | throughput | served by |', '|---|---|---|---|---|---|---|'];
  for (const b of bursts) {
    for (const s of b.series) {
      const served = Object.entries(s.paths).map(([p, n]) => `${n} ${p}`).join(', ');
      lines.push(`| ${b.burst} | ${s.path} | ${fmt(s.p50Ms)} | ${b.p50RatioToFloor[s.path]?.toFixed(2)}× | ${fmt(s.p99Ms)} | ${s.throughputPerSecond}/s | ${served} |`);
    }
  }
  lines.push('', '| path | highest rate with p99 < 2 s | steps (rate: p50 / p99) |', '|---|---|---|');
  for (const [path, { highestRatePerSecond, steps }] of Object.entries(sustained)) {
    const tried = steps.map((st) => `${st.ratePerSecond}/s: ${fmt(st.p50Ms)} / ${fmt(st.p99Ms)}`).join('; ');
    const highest = steps.length === 0 ? 'not measured' : highestRatePerSecond === null ? 'none' : `${highestRatePerSecond} runs/s`;
    lines.push(`| ${path} | ${highest} | ${tried} |`);
  }
  const staged = bursts.flatMap((b) => b.series.filter((s) => s.breakdown !== undefined).map((s) => ({ burst: b.burst, path: s.path, breakdown: s.breakdown! })));
  const seen = new Set(staged.flatMap((s) => s.breakdown.stages.map((st) => st.stage)));
  const stages = stageOrder.filter((stage) => seen.has(stage));
  lines.push('', `| burst | path | ${stages.join(' | ')} | outside the operator |`, `|---|---|${stages.map(() => '---|').join('')}---|`);
  for (const s of staged) {
    const cells = stages.map((stage) => {
      const found = s.breakdown.stages.find((st) => st.stage === stage);
      return found === undefined ? '–' : fmt(found.meanMs);
    });
    lines.push(`| ${s.burst} | ${s.path} | ${cells.join(' | ')} | ${fmt(s.breakdown.outsideOperatorMs)} |`);
  }
  return `${lines.join('\n')}\n`;
}
