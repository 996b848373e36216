// npm run bench:warm-cold: the floor, the warm pool and the cold path side by side in one run, on
// the operator as the chart installs it. The floor is the same trivial job through the runner
// binary on the node with no Kubernetes at all (bench/floor.ts). For each burst size, N runs
// start at once on each path; then, open loop, runs arrive at a fixed rate for a while, rate after
// rate, until the p99 passes 2 s. A run's latency is from its create request to the terminal
// status seen by a watch. The operator's stage histogram gives where a warm run's time goes, and
// a CPU profile of the operator is taken during the warm burst of 20.
// Results: bench/results/warm-cold.{json,md,svg} and operator-burst.cpuprofile.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiException, CoreV1Api, CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFromFile } from '../src/kube/kube-config.js';
import { RUN_STAGES } from '../src/observability/domain-metrics.js';
import { z } from 'zod';
import { InstalledOperator } from '../test/support/installed-operator.js';
import { summarizeCpuProfile } from './cpu-profile-summary.js';
import { floorBurst, floorJob, floorOpenLoop } from './floor.js';
import {
  highestSustainedRate,
  latencyChartSvg,
  markdownTables,
  ratiosToFloor,
  stageBreakdownMs,
  summarizeBurst,
  type Breakdown,
  type BurstSummary,
  type RunSample,
  type SustainedStep,
} from './warm-cold-stats.js';

const root = resolve(import.meta.dirname, '..');
const NAMESPACE = 'coderun-bench';
const GROUP = 'coderun.dev';
const VERSION = 'v1alpha1';
/** reuse: a pool whose pods serve `--runs-per-pod` runs each (warmPool.runsPerPod); only with that option. */
const RUNTIMES = { warm: 'bench-python-warm', reuse: 'bench-python-reuse', cold: 'bench-python-cold' } as const;
type KubePath = keyof typeof RUNTIMES;
type Path = 'floor' | KubePath;
const POOLED: readonly KubePath[] = ['warm', 'reuse'];
/** A sustained rate counts while its p99 stays under this. */
const SUSTAINED_P99_LIMIT_MS = 2000;
const PROGRAM = 'print(sum(map(int, input().split())))\n';
const TEST = { stdin: '1 2\n', expected: '3\n' };
const LIMITS = { cpuTimeMillis: 2000, wallTimeMillis: 5000, memoryMiB: 256, outputBytes: 65536, processes: 8, fileSizeBytes: 1048576 };

const list = (what: string) => z.string().regex(/^(\d+(\.\d+)?(,\d+(\.\d+)?)*)?$/, `a list such as ${what}`).transform((v) => (v === '' ? [] : v.split(',').map(Number)));
const options = z
  .object({
    bursts: list('1,20,200'),
    sustainRates: list('1,2,4'),
    sustainSeconds: z.coerce.number().int().min(5).max(600),
    pool: z.coerce.number().int().min(1).max(100),
    workers: z.coerce.number().int().min(1).max(256),
    poolMaxStarting: z.coerce.number().int().min(0).max(10_000),
    runsPerPod: z.coerce.number().int().min(1).max(1000),
    paths: z
      .string()
      .regex(/^(warm|reuse|cold)(,(warm|reuse|cold))*$/, 'a list of warm, reuse and cold')
      .transform((v) => v.split(',')),
    profile: z.boolean(),
    externalOperator: z.boolean(),
  })
  .parse(
    (() => {
      const { values } = parseArgs({
        // --no-profile turns the profile off.
        allowNegative: true,
        options: {
          bursts: { type: 'string', default: '1,20,200' },
          'sustain-rates': { type: 'string', default: '1,2,3,4,6,8' },
          'sustain-seconds': { type: 'string', default: '60' },
          pool: { type: 'string', default: '24' },
          workers: { type: 'string', default: '32' },
          // The operator's CODERUN_POOL_MAX_STARTING (0: pool refills unbounded).
          'pool-max-starting': { type: 'string', default: '4' },
          // More than 1 adds the series of a pool whose pods serve that many runs each.
          'runs-per-pod': { type: 'string', default: '20' },
          // The Kubernetes paths to measure beside the floor (one lever's effect, in less time).
          paths: { type: 'string', default: 'warm,reuse,cold' },
          // A CPU profile of the operator during the warm burst of 20 (needs the chart's config.profiling).
          profile: { type: 'boolean', default: true },
          // Measure against an operator that is already running (stages and profile only if it allows).
          'external-operator': { type: 'boolean', default: false },
        },
      });
      return {
        bursts: values.bursts,
        sustainRates: values['sustain-rates'],
        sustainSeconds: values['sustain-seconds'],
        pool: values.pool,
        workers: values.workers,
        poolMaxStarting: values['pool-max-starting'],
        runsPerPod: values['runs-per-pod'],
        paths: values.paths,
        profile: values.profile,
        externalOperator: values['external-operator'],
      };
    })(),
  );

const PATHS: readonly Path[] = [
  'floor',
  ...(['warm', 'reuse', 'cold'] as const).filter((p) => options.paths.includes(p) && (p !== 'reuse' || options.runsPerPod > 1)),
];
const pooled = PATHS.filter((p): p is KubePath => (POOLED as readonly string[]).includes(p));

/** How often the bench's watch had to be started again (its connection ended). */
const watchRestarts = { count: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function runtimeBody(name: string, pool: { replicas: number; runsPerPod: number } | undefined): object {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Runtime',
    metadata: { name, labels: { 'coderun.dev/bench': 'warm-cold' } },
    spec: {
      image: 'coderun.local/python3:dev',
      sourceFile: 'main.py',
      run: { command: ['python3', '-B', 'main.py'] },
      limits: { default: LIMITS, max: LIMITS },
      // Small requests so that the pool and a cold burst fit on a 2-core node together; the
      // limits stay sized for the Runtime's max.
      ...(pool === undefined
        ? {}
        : { warmPool: { replicas: pool.replicas, ...(pool.runsPerPod > 1 ? { runsPerPod: pool.runsPerPod } : {}), resources: { requests: { cpu: '10m', memory: '64Mi' } } } }),
    },
  };
}

const RuntimeStatus = z.looseObject({ status: z.looseObject({ pool: z.object({ desired: z.number(), ready: z.number(), idle: z.number() }).optional() }).optional() });
const RunEvent = z.looseObject({
  metadata: z.looseObject({ name: z.string(), resourceVersion: z.string().optional() }),
  status: z
    .looseObject({
      phase: z.string().optional(),
      verdict: z.string().optional(),
      path: z.string().optional(),
      message: z.string().optional(),
      tests: z.array(z.looseObject({ exitCode: z.number().nullable().optional(), stderr: z.string().optional() })).optional(),
    })
    .optional(),
});

async function putRuntime(custom: CustomObjectsApi, body: object & { metadata: { name: string } }): Promise<void> {
  await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', name: body.metadata.name }).catch(() => undefined);
  for (;;) {
    try {
      await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', body });
      return;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
      await sleep(200);
    }
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function poolIdle(custom: CustomObjectsApi, path: KubePath): Promise<number> {
  const rt = RuntimeStatus.parse(await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', name: RUNTIMES[path] }));
  return rt.status?.pool?.idle ?? 0;
}

async function quiet(core: CoreV1Api, custom: CustomObjectsApi): Promise<void> {
  await waitUntil(
    'the previous burst to be cleaned up and the pools to be full',
    async () => {
      const runs = await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: 'coderuns' });
      const left = z.looseObject({ items: z.array(z.unknown()) }).parse(runs).items.length;
      // No run's pod and no pod of an earlier pool still being torn down: that would take CPU
      // from the burst being measured.
      const pods = (await core.listNamespacedPod({ namespace: 'coderun-sandbox' })).items;
      const busy = pods.filter((p) => p.metadata?.deletionTimestamp !== undefined || p.metadata?.labels?.['app.kubernetes.io/component'] === 'sandbox');
      if (left > 0 || busy.length > 0) return false;
      for (const path of pooled) if ((await poolIdle(custom, path)) < options.pool) return false;
      return true;
    },
    600_000,
  );
}

/**
 * Creates `n` runs on `path`'s Runtime, the i-th `offsetMs(i)` after the first (0: all at once);
 * resolves with each run's latency once all are terminal.
 */
async function measure(kc: KubeConfig, custom: CustomObjectsApi, path: KubePath, n: number, label: string, offsetMs: (i: number) => number): Promise<RunSample[]> {
  const sent = new Map<string, number>();
  const done = new Map<string, RunSample>();
  let allDone: () => void = () => {};
  const finished = new Promise<void>((r) => (allDone = r));
  const prefix = `${path}-${label}-`;
  const start = performance.now();
  // The watch resumes from the last version it saw if its connection ends (seen once in a burst
  // of 200); a run it then sees late is counted in `watchRestarts` of the record.
  let lastVersion: string | undefined;
  let current: AbortController | undefined;
  let ended = false;
  const onEvent = (_type: string, raw: unknown) => {
    const at = performance.now();
    const run = RunEvent.safeParse(raw);
    if (!run.success) return;
    lastVersion = run.data.metadata.resourceVersion ?? lastVersion;
    const name = run.data.metadata.name;
    const phase = run.data.status?.phase;
    const createdAt = sent.get(name);
    if (createdAt === undefined || done.has(name) || (phase !== 'Completed' && phase !== 'Failed')) return;
    done.set(name, {
      latencyMs: at - createdAt,
      createdAtMs: createdAt - start,
      finishedAtMs: at - start,
      verdict: run.data.status?.verdict ?? phase,
      // Every run is the same trivial program: anything but Accepted is a finding to look at.
      ...(run.data.status?.verdict === 'Accepted'
        ? {}
        : { name, detail: `${run.data.status?.message ?? ''}; stderr: ${(run.data.status?.tests?.[0]?.stderr ?? '').slice(0, 500)}` }),
      path: run.data.status?.path ?? 'none',
    });
    if (done.size === n) allDone();
  };
  const watchFrom = async (): Promise<void> => {
    current = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/coderuns`,
      lastVersion === undefined ? {} : { resourceVersion: lastVersion },
      onEvent,
      (err: unknown) => {
        if (ended) return;
        watchRestarts.count += 1;
        log(`  the watch ended (${err instanceof Error ? err.message : String(err)}); watching again from version ${lastVersion ?? 'now'}`);
        // A version too old to resume from (410) starts over with the current list.
        if (err instanceof Error && /\b410\b|too old/i.test(err.message)) lastVersion = undefined;
        void watchFrom().catch(() => undefined);
      },
    );
  };
  await watchFrom();
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await sleep(Math.max(0, start + offsetMs(i) - performance.now()));
        const name = `${prefix}${i}`;
        sent.set(name, performance.now());
        await custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: NAMESPACE,
          plural: 'coderuns',
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'CodeRun',
            metadata: { name },
            spec: { runtime: RUNTIMES[path], source: { inline: PROGRAM }, tests: [{ name: '1', stdin: TEST.stdin, expectedStdout: TEST.expected }] },
          },
        });
      }),
    );
    const timeout = sleep(900_000).then(() => {
      throw new Error(`${path} ${label}: only ${done.size} of ${n} runs finished within 15 minutes`);
    });
    await Promise.race([finished, timeout]);
  } finally {
    ended = true;
    current?.abort();
  }
  return [...done.values()];
}

interface Series {
  path: Path;
  samples: RunSample[];
  summary: BurstSummary;
}

/** The operator's /metrics, or undefined when there is no installed operator to read (external). */
type Scrape = () => Promise<string | undefined>;

async function main(): Promise<void> {
  execFileSync('bash', [resolve(root, 'runner/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  execFileSync('bash', [resolve(root, 'hack/cluster/up.sh')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  process.env.KUBECONFIG = resolve(root, '.cluster/kubeconfig');
  const kc = kubeConfigFromFile(process.env.KUBECONFIG);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  log(options.externalOperator ? 'using the operator that is running' : `installing the operator (${options.workers} workers)`);
  const operator = options.externalOperator
    ? undefined
    : await InstalledOperator.start(kc, {
        label: 'bench-warm-cold',
        env: {
          LOG_LEVEL: 'info',
          CODERUN_WORKERS: String(options.workers),
          CODERUN_POOL_MAX_STARTING: String(options.poolMaxStarting),
          CODERUN_PROFILING: String(options.profile),
        },
      });
  const scrape: Scrape = async () => operator?.metrics();
  const job = floorJob(PROGRAM, TEST.stdin, LIMITS);
  const bursts: Array<Series & { burst: number; breakdown?: Breakdown }> = [];
  const sustained: Record<Path, SustainedStep[]> = { floor: [], warm: [], reuse: [], cold: [] };
  let profile: { raw: string; summary: ReturnType<typeof summarizeCpuProfile> } | undefined;
  const clear = () => custom.deleteCollectionNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: 'coderuns' });
  try {
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch(() => undefined);
    // Runs an interrupted earlier bench left would hold quiet() up.
    await clear();
    await putRuntime(custom, runtimeBody(RUNTIMES.cold, undefined) as { metadata: { name: string } });
    for (const path of pooled) {
      const runsPerPod = path === 'reuse' ? options.runsPerPod : 1;
      await putRuntime(custom, runtimeBody(RUNTIMES[path], { replicas: options.pool, runsPerPod }) as { metadata: { name: string } });
    }
    for (const n of options.bursts) {
      for (const path of PATHS) {
        // The floor too waits for a full pool: a refill would take CPU from it.
        await quiet(core, custom);
        await sleep(2000);
        log(`burst of ${n}: ${path}`);
        let samples: RunSample[];
        let breakdown: Breakdown | undefined;
        if (path === 'floor') samples = await floorBurst(job, TEST.expected, n);
        else {
          const before = await scrape();
          const profiling = path === 'warm' && n === 20 && options.profile && operator !== undefined ? operator.cpuProfile(10) : undefined;
          samples = await measure(kc, custom, path, n, `b${n}`, () => 0);
          const after = await scrape();
          if (profiling !== undefined) {
            const raw = await profiling;
            profile = { raw, summary: summarizeCpuProfile(JSON.parse(raw)) };
          }
          // The operator labels a reuse pool's runs warm. A series whose runs took both paths has
          // no one breakdown: its stage means would not add up to its runs' latencies.
          const servedAs = path === 'cold' ? 'cold' : 'warm';
          if (before !== undefined && after !== undefined && samples.every((x) => x.path === servedAs)) {
            const stages = stageBreakdownMs(before, after, servedAs, RUN_STAGES);
            const operatorMs = Math.round(stages.reduce((a, st) => a + st.meanMs, 0));
            const meanLatency = samples.reduce((a, x) => a + x.latencyMs, 0) / samples.length;
            // The rest: the create request (admission included), the informer's watch delivering
            // the new run to the operator, and the bench's watch delivering its end.
            breakdown = { stages, operatorMs, outsideOperatorMs: Math.round(meanLatency - operatorMs), meanLatencyMs: Math.round(meanLatency) };
          }
          await clear();
        }
        const summary = summarizeBurst(samples);
        log(`  p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, ${summary.throughputPerSecond}/s, paths ${JSON.stringify(summary.paths)}, verdicts ${JSON.stringify(summary.verdicts)}`);
        bursts.push({ burst: n, path, samples, summary, ...(breakdown === undefined ? {} : { breakdown }) });
      }
    }
    for (const path of PATHS) {
      for (const rate of options.sustainRates) {
        await quiet(core, custom);
        await sleep(2000);
        log(`sustained: ${path} at ${rate}/s for ${options.sustainSeconds} s`);
        const count = Math.round(rate * options.sustainSeconds);
        const samples =
          path === 'floor' ? await floorOpenLoop(job, TEST.expected, rate, options.sustainSeconds) : await measure(kc, custom, path, count, `r${rate}`, (i) => (i * 1000) / rate);
        if (path !== 'floor') await clear();
        const summary = summarizeBurst(samples);
        log(`  p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, paths ${JSON.stringify(summary.paths)}, verdicts ${JSON.stringify(summary.verdicts)}`);
        sustained[path].push({ ratePerSecond: rate, summary });
        // The ladder stops at the first rate that is not sustained.
        if (highestSustainedRate([{ ratePerSecond: rate, summary }], SUSTAINED_P99_LIMIT_MS) === undefined) break;
      }
    }
  } finally {
    // The pool's pods go with its Runtime (owner reference), so nothing is left running.
    for (const name of Object.values(RUNTIMES)) {
      await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', name }).catch(() => undefined);
    }
    await operator?.release();
  }
  const out = resolve(root, 'bench/results');
  mkdirSync(out, { recursive: true });
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) };
  const record = {
    benchmark: 'warm-cold',
    date: new Date().toISOString(),
    machine,
    settings: {
      pool: options.pool,
      workers: options.workers,
      poolMaxStarting: options.poolMaxStarting,
      runsPerPod: options.runsPerPod,
      sustainSeconds: options.sustainSeconds,
      sustainedP99LimitMs: SUSTAINED_P99_LIMIT_MS,
      program: 'python3: print the sum of two numbers read from stdin; one test with expected output',
      floor: 'the same job through runner/bin/runner on the node, no Kubernetes, host python3',
    },
    bursts: options.bursts.map((n) => {
      const of = bursts.filter((b) => b.burst === n);
      const ratios = ratiosToFloor(Object.fromEntries(of.map((b) => [b.path, b.summary.p50Ms])));
      return {
        burst: n,
        p50RatioToFloor: ratios,
        series: of.map((b) => ({
          path: b.path,
          ...b.summary,
          ...(b.breakdown === undefined ? {} : { breakdown: b.breakdown }),
          latenciesMs: b.samples.map((x) => Math.round(x.latencyMs)).sort((x, y) => x - y),
          notAccepted: b.samples.filter((x) => x.detail !== undefined).map((x) => ({ name: x.name, verdict: x.verdict, detail: x.detail })),
        })),
      };
    }),
    sustained: Object.fromEntries(
      PATHS.map((path) => [
        path,
        {
          highestRatePerSecond: highestSustainedRate(sustained[path], SUSTAINED_P99_LIMIT_MS) ?? null,
          steps: sustained[path].map((st) => ({ ratePerSecond: st.ratePerSecond, ...st.summary })),
        },
      ]),
    ),
    operatorProfile: profile?.summary ?? null,
    watchRestarts: watchRestarts.count,
  };
  writeFileSync(resolve(out, 'warm-cold.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(resolve(out, 'warm-cold.md'), markdownTables(record.bursts, record.sustained, RUN_STAGES));
  // The raw profile (megabytes) stays out of git: open it in Chrome DevTools or speedscope.
  if (profile !== undefined) writeFileSync(resolve(out, 'operator-burst.cpuprofile'), profile.raw);
  const svg = latencyChartSvg(
    `create → terminal status, floor / warm (pool ${options.pool}) / cold, ${machine.cpus} cores (log scale)`,
    bursts.map((b) => ({ label: `${b.path}, burst ${b.burst}`, summary: b.summary })),
  );
  writeFileSync(resolve(out, 'warm-cold.svg'), svg);
  log('wrote bench/results/warm-cold.json, warm-cold.md and warm-cold.svg');
}

// Exit explicitly: the client's keep-alive connections would hold the process open.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
