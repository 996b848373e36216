// npm run bench:warm-cold: warm pool against cold path on the local cluster, side by side in one
// run. For each burst size, N trivial python CodeRuns are created at once on a Runtime with a
// warm pool and N on an identical Runtime without one; each run's latency is from its create
// request to the terminal status seen by a watch. Results: bench/results/warm-cold.{json,svg}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiException, CoreV1Api, CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFromFile } from '../src/kube/kube-config.js';
import { z } from 'zod';
import { InstalledOperator } from '../test/support/installed-operator.js';
import { latencyChartSvg, summarizeBurst, type BurstSummary, type RunSample } from './warm-cold-stats.js';

const root = resolve(import.meta.dirname, '..');
const NAMESPACE = 'coderun-bench';
const GROUP = 'coderun.dev';
const VERSION = 'v1alpha1';
const RUNTIMES = { warm: 'bench-python-warm', cold: 'bench-python-cold' } as const;
type Path = keyof typeof RUNTIMES;

const options = z
  .object({
    bursts: z.string().regex(/^\d+(,\d+)*$/, 'a list such as 20,200'),
    pool: z.coerce.number().int().min(1).max(100),
    workers: z.coerce.number().int().min(1).max(256),
    externalOperator: z.boolean(),
  })
  .parse(
    (() => {
      const { values } = parseArgs({
        options: {
          bursts: { type: 'string', default: '20,200' },
          pool: { type: 'string', default: '24' },
          workers: { type: 'string', default: '32' },
          // Measure against an operator that is already running (e.g. one being profiled).
          'external-operator': { type: 'boolean', default: false },
        },
      });
      return { ...values, externalOperator: values['external-operator'] };
    })(),
  );
const bursts = options.bursts.split(',').map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function runtimeBody(name: string, pool: number | undefined): object {
  const limits = { cpuTimeMillis: 2000, wallTimeMillis: 5000, memoryMiB: 256, outputBytes: 65536, processes: 8, fileSizeBytes: 1048576 };
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Runtime',
    metadata: { name, labels: { 'coderun.dev/bench': 'warm-cold' } },
    spec: {
      image: 'coderun.local/python3:dev',
      sourceFile: 'main.py',
      run: { command: ['python3', '-B', 'main.py'] },
      limits: { default: limits, max: limits },
      // Small requests so that the pool and a cold burst fit on a 2-core node together; the
      // limits stay sized for the Runtime's max.
      ...(pool === undefined ? {} : { warmPool: { replicas: pool, resources: { requests: { cpu: '10m', memory: '64Mi' } } } }),
    },
  };
}

const RuntimeStatus = z.looseObject({ status: z.looseObject({ pool: z.object({ desired: z.number(), ready: z.number(), idle: z.number() }).optional() }).optional() });
const RunEvent = z.looseObject({
  metadata: z.looseObject({ name: z.string() }),
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

async function poolIdle(custom: CustomObjectsApi): Promise<number> {
  const rt = RuntimeStatus.parse(await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', name: RUNTIMES.warm }));
  return rt.status?.pool?.idle ?? 0;
}

async function quiet(core: CoreV1Api, custom: CustomObjectsApi): Promise<void> {
  await waitUntil(
    'the previous burst to be cleaned up and the pool to be full',
    async () => {
      const runs = await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: 'coderuns' });
      const left = z.looseObject({ items: z.array(z.unknown()) }).parse(runs).items.length;
      // No run's pod and no pod of an earlier pool still being torn down: that would take CPU
      // from the burst being measured.
      const pods = (await core.listNamespacedPod({ namespace: 'coderun-sandbox' })).items;
      const busy = pods.filter((p) => p.metadata?.deletionTimestamp !== undefined || p.metadata?.labels?.['app.kubernetes.io/component'] === 'sandbox');
      return left === 0 && busy.length === 0 && (await poolIdle(custom)) >= options.pool;
    },
    600_000,
  );
}

/** Creates `n` runs at once on `path`'s Runtime; resolves with each run's latency once all are terminal. */
async function burst(kc: KubeConfig, custom: CustomObjectsApi, path: Path, n: number): Promise<RunSample[]> {
  const sent = new Map<string, number>();
  const done = new Map<string, RunSample>();
  let allDone: () => void = () => {};
  const finished = new Promise<void>((r) => (allDone = r));
  const prefix = `${path}-${n}-`;
  const start = performance.now();
  const watch = await new Watch(kc).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/coderuns`,
    {},
    (_type: string, raw: unknown) => {
      const at = performance.now();
      const run = RunEvent.safeParse(raw);
      if (!run.success) return;
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
    },
    () => {},
  );
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
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
            spec: { runtime: RUNTIMES[path], source: { inline: 'print(sum(map(int, input().split())))\n' }, tests: [{ name: '1', stdin: '1 2\n', expectedStdout: '3\n' }] },
          },
        });
      }),
    );
    const timeout = sleep(900_000).then(() => {
      throw new Error(`${path} burst of ${n}: only ${done.size} runs finished within 15 minutes`);
    });
    await Promise.race([finished, timeout]);
  } finally {
    watch.abort();
  }
  return [...done.values()];
}

async function main(): Promise<void> {
  execFileSync('bash', [resolve(root, 'hack/cluster/up.sh')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  process.env.KUBECONFIG = resolve(root, '.cluster/kubeconfig');
  const kc = kubeConfigFromFile(process.env.KUBECONFIG);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  log(options.externalOperator ? 'using the operator that is running' : `starting the operator (${options.workers} workers)`);
  const operator = options.externalOperator
    ? undefined
    : await InstalledOperator.start(kc, { label: 'bench-warm-cold', env: { LOG_LEVEL: 'info', CODERUN_WORKERS: String(options.workers) } });
  const results: Array<{ burst: number; path: Path; summary: BurstSummary; samples: RunSample[] }> = [];
  try {
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch(() => undefined);
    await putRuntime(custom, runtimeBody(RUNTIMES.cold, undefined) as { metadata: { name: string } });
    await putRuntime(custom, runtimeBody(RUNTIMES.warm, options.pool) as { metadata: { name: string } });
    for (const n of bursts) {
      for (const path of ['warm', 'cold'] as const) {
        await quiet(core, custom);
        await sleep(2000);
        log(`burst of ${n} on the ${path} Runtime`);
        const samples = await burst(kc, custom, path, n);
        const summary = summarizeBurst(samples);
        log(`  p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, p99 ${summary.p99Ms} ms, max ${summary.maxMs} ms, ${summary.throughputPerSecond}/s, paths ${JSON.stringify(summary.paths)}, verdicts ${JSON.stringify(summary.verdicts)}`);
        results.push({ burst: n, path, summary, samples });
        await custom.deleteCollectionNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: 'coderuns' });
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
    settings: { pool: options.pool, workers: options.workers, program: 'python3: print the sum of two numbers read from stdin; one test with expected output' },
    results: results.map(({ burst: n, path, summary, samples }) => ({
      burst: n,
      path,
      ...summary,
      latenciesMs: samples.map((s) => Math.round(s.latencyMs)).sort((a, b) => a - b),
      notAccepted: samples.filter((s) => s.detail !== undefined).map((s) => ({ name: s.name, verdict: s.verdict, detail: s.detail })),
    })),
  };
  writeFileSync(resolve(out, 'warm-cold.json'), `${JSON.stringify(record, null, 2)}\n`);
  const svg = latencyChartSvg(
    `create → terminal status, pool ${options.pool}, ${machine.cpus} cores (log scale)`,
    results.map((r) => ({ label: `${r.path}, burst ${r.burst}`, summary: r.summary })),
  );
  writeFileSync(resolve(out, 'warm-cold.svg'), svg);
  log('wrote bench/results/warm-cold.json and warm-cold.svg');
}

// Exit explicitly: the client's keep-alive connections would hold the process open.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
