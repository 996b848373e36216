// npm run bench:languages: a trivial run (the Runtime's own self-test program, A+B) of each
// standard language on the local cluster, one run at a time, on a Runtime with a warm pool of one
// pod and on an identical one without. Per run: the latency from the create request to the
// terminal status seen by polling (every 100 ms), the compile step's wall time, and the program's
// wall and CPU time as the runner measured them (its start-up, for a program that does nothing).
// Results: bench/results/languages.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION } from '../src/crds/common.js';
import { CodeRunTestNamespace, isTerminal } from '../test/support/coderun-e2e.js';
import { eventually } from '../test/support/eventually.js';
import { testKubeConfig } from '../test/support/kube-config.js';
import { InstalledOperator, ensureInstalled } from '../test/support/installed-operator.js';
import { LANGUAGES } from '../test/e2e/language-programs.js';
import { PoolRuntime, createWarmColdCopies, tearDownWithRuntimes } from '../test/e2e/warm-support.js';
import { RuntimeSpecSchema } from '../src/crds/runtime.js';

const ROUNDS = 3;
// The local cluster's, unless another is given.
process.env.KUBECONFIG ??= resolve(import.meta.dirname, '../.cluster/kubeconfig');
const kc = testKubeConfig();
const ns = new CodeRunTestNamespace(kc, 'bench-languages');
const name = (language: string, path: string) => `bench-${path}-${language}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

await ensureInstalled(kc);
const operator = await InstalledOperator.start(kc, { label: 'bench-languages' });
const runtimes = await createWarmColdCopies(kc, LANGUAGES.map((standard) => ({ standard, warm: name(standard, 'warm'), cold: name(standard, 'cold') })), { replicas: 1 });
const results: Record<string, unknown> = {};
try {
  await ns.create();
  for (const language of LANGUAGES) {
    const test = RuntimeSpecSchema.parse(await standardSpec(language)).selfTest;
    if (test === undefined) throw new Error(`${language} has no selfTest`);
    const perPath: Record<string, unknown> = {};
    for (const path of ['cold', 'warm'] as const) {
      const runtime = new PoolRuntime(kc, name(language, path));
      await eventually(`${runtime.name} Ready${path === 'warm' ? ' with an idle pool pod' : ''}`, async () => {
        const status = await runtime.status();
        const ready = status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
        return ready && (path === 'cold' || (status?.pool?.idle ?? 0) >= 1);
      }, 300_000, { intervalMs: 200 });
      const samples = [];
      for (let round = 0; round < ROUNDS; round++) {
        const run = `${language}-${path}-${round}`;
        const start = Date.now();
        await ns.submit(run, { runtime: runtime.name, source: { inline: test.source }, tests: [{ name: '1', stdin: test.stdin ?? '', expectedStdout: test.expectedStdout }] });
        const done = await ns.waitForRun(run, 'terminal', (r) => isTerminal(r.status), 120_000);
        const latencyMs = Date.now() - start;
        const t = done.status.tests?.[0];
        if (done.status.verdict !== 'Accepted') throw new Error(`${run}: ${done.status.verdict} ${done.status.message}`);
        samples.push({ path: done.status.path, latencyMs, compileWallMs: done.status.compile?.wallTimeMillis, runWallMs: t?.wallTimeMillis, runCpuMs: t?.cpuTimeMillis, memoryKiB: t?.memoryKiB });
        // The pool replaces the pod a warm run used: wait for it, so every warm sample is warm.
        if (path === 'warm') await eventually('an idle pool pod again', async () => ((await runtime.status())?.pool?.idle ?? 0) >= 1, 120_000, { intervalMs: 200 });
      }
      perPath[path] = {
        samples,
        medianLatencyMs: median(samples.map((s) => s.latencyMs)),
        medianCompileWallMs: median(samples.map((s) => s.compileWallMs ?? NaN)),
        medianRunWallMs: median(samples.map((s) => s.runWallMs ?? NaN)),
        medianRunCpuMs: median(samples.map((s) => s.runCpuMs ?? NaN)),
      };
    }
    results[language] = perPath;
    console.log(language, JSON.stringify(perPath));
  }
} finally {
  await tearDownWithRuntimes(ns, operator, runtimes);
}
const out = resolve(import.meta.dirname, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(resolve(out, 'languages.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), rounds: ROUNDS, results }, null, 2)}\n`);

async function standardSpec(language: string): Promise<unknown> {
  const raw = await kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', name: language });
  return z.looseObject({ spec: z.unknown() }).parse(raw).spec;
}
