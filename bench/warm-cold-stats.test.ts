import { highestSustainedRate, markdownTables, ratiosToFloor, stageBreakdownMs, summarizeBurst, type RunSample } from './warm-cold-stats.js';

const sample = (latencyMs: number, verdict = 'Accepted'): RunSample => ({ latencyMs, createdAtMs: 0, finishedAtMs: latencyMs, verdict, path: 'warm' });

test('ratiosToFloor puts each p50 over the floor p50', () => {
  expect(ratiosToFloor({ floor: 500, warm: 750, cold: 6000 })).toEqual({ floor: 1, warm: 1.5, cold: 12 });
  expect(() => ratiosToFloor({ warm: 1 })).toThrow('no floor');
});

describe('highestSustainedRate', () => {
  const step = (ratePerSecond: number, latencies: number[], verdict?: string) => ({ ratePerSecond, summary: summarizeBurst(latencies.map((l) => sample(l, verdict))) });
  test.each([
    { name: 'the last rate under the limit', steps: [step(1, [100, 200]), step(2, [300, 1900]), step(4, [500, 2500])], expected: 2 },
    { name: 'none when the first is over', steps: [step(1, [2100])], expected: undefined },
    { name: 'not a rate with a run not Accepted', steps: [step(1, [100]), step(2, [100], 'SystemError')], expected: 1 },
  ])('$name', ({ steps, expected }) => expect(highestSustainedRate(steps, 2000)).toBe(expected));
});

test('stageBreakdownMs takes the mean of each stage over the runs between two scrapes, in stage order', () => {
  const scrape = (queueSum: number, queueCount: number, claimSum: number, claimCount: number) =>
    [
      '# TYPE coderun_run_stage_duration_seconds histogram',
      `coderun_run_stage_duration_seconds_bucket{le="0.001",path="warm",stage="queue"} 0`,
      `coderun_run_stage_duration_seconds_sum{path="warm",stage="queue"} ${queueSum}`,
      `coderun_run_stage_duration_seconds_count{path="warm",stage="queue"} ${queueCount}`,
      `coderun_run_stage_duration_seconds_sum{path="warm",stage="claim"} ${claimSum}`,
      `coderun_run_stage_duration_seconds_count{path="warm",stage="claim"} ${claimCount}`,
      `coderun_run_stage_duration_seconds_sum{path="cold",stage="queue"} 99`,
      `coderun_run_stage_duration_seconds_count{path="cold",stage="queue"} 9`,
    ].join('\n');
  expect(stageBreakdownMs(scrape(1, 10, 0.5, 10), scrape(1.2, 12, 0.53, 12), 'warm', ['queue', 'claim', 'write'])).toEqual([
    { stage: 'queue', meanMs: 100, runs: 2 },
    { stage: 'claim', meanMs: 15, runs: 2 },
  ]);
});

test('markdownTables shows each burst with its ratio to the floor, the sustained rates, and the stages in their order', () => {
  const summary = (path: string, p50Ms: number) => ({ ...summarizeBurst([sample(p50Ms)]), path, paths: { [path]: 1 } });
  const warm = { ...summary('warm', 120), breakdown: { stages: [{ stage: 'write', meanMs: 12, runs: 1 }, { stage: 'claim', meanMs: 30, runs: 1 }], operatorMs: 42, outsideOperatorMs: 78, meanLatencyMs: 120 } };
  const text = markdownTables(
    [{ burst: 1, p50RatioToFloor: { floor: 1, warm: 3 }, series: [summary('floor', 40), warm] }],
    { floor: { highestRatePerSecond: 8, steps: [{ ratePerSecond: 8, p50Ms: 40, p99Ms: 60 }] }, cold: { highestRatePerSecond: null, steps: [{ ratePerSecond: 1, p50Ms: 2500, p99Ms: 3100 }] }, warm: { highestRatePerSecond: null, steps: [] } },
    ['claim', 'record', 'write'],
  );
  const rows = [
    '| 1 | warm | 120 ms | 3.00× | 120 ms |',
    '| floor | 8 runs/s | 8/s: 40 ms / 60 ms |',
    '| cold | none | 1/s: 2.50 s / 3.10 s |',
    '| warm | not measured |  |',
    '| burst | path | claim | write | outside the operator |',
    '| 1 | warm | 30 ms | 12 ms | 78 ms |',
  ];
  for (const row of rows) expect([row, text.includes(row)]).toEqual([row, true]);
});
