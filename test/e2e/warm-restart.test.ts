import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, isTerminal, tearDown, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { CodeRunStatus } from '../../src/crds/coderun.js';
import { PoolRuntime, SMALL_POOL_REQUESTS } from './warm-support.js';

// The operator is killed (SIGKILL) while warm runs are inside their exec, and started again. An
// exec whose operator died cannot be resumed: each such run must get a fresh attempt in a fresh
// pod, reach exactly one terminal status that is never rewritten, and no claimed pod may be left.

const RUNS = 6;
const suffix = Math.random().toString(16).slice(2, 8);
const names = Array.from({ length: RUNS }, (_, i) => `warm-${i}`);
const SPEC = { source: { inline: 'import time\ntime.sleep(3)\na, b = map(int, input().split())\nprint(a + b)\n' }, tests: [{ name: '1', stdin: '2 3\n', expectedStdout: '5\n' }] };

describe('the operator killed during warm runs', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-restart');
  const runtime = new PoolRuntime(kc, `e2e-warm-restart-${suffix}`);
  let first: InstalledOperator | undefined;
  let second: InstalledOperator | undefined;
  const firstTerminal = new Map<string, CodeRunStatus>();
  const record = (runs: ObservedCodeRun[]) => {
    for (const run of runs) if (isTerminal(run.status) && !firstTerminal.has(run.name)) firstTerminal.set(run.name, structuredClone(run.status));
  };
  /** Runs inside a warm exec when the operator died, with the pod they were in. */
  const inExecAtKill = new Map<string, string>();
  let final = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    await ensureInstalled(kc);
    await runtime.createFrom('python3', { replicas: RUNS, resources: SMALL_POOL_REQUESTS });
    const env = { CODERUN_WARM_WAIT_MS: '120000' };
    first = await InstalledOperator.start(kc, { label: 'warm-restart-1', env });
    await eventually('a full pool', async () => (await runtime.status())?.pool?.idle === RUNS, 120_000);
    await ns.create();
    await Promise.all(names.map((name) => ns.submit(name, { ...SPEC, runtime: runtime.name })));
    await eventually(
      'at least half of the runs inside their warm exec',
      async () => {
        first?.assertRunning();
        const runs = await ns.list();
        record(runs);
        const running = runs.filter((r) => r.status.phase === 'Running' && r.status.path === 'warm');
        if (running.length < RUNS / 2) return false;
        for (const r of running) inExecAtKill.set(r.name, r.status.podName ?? '');
        return true;
      },
      60_000,
    );
    await first.kill();
    second = await InstalledOperator.start(kc, { label: 'warm-restart-2', env, leadTimeoutMs: 90_000 });
    final = await ns.waitForTerminal(names, 180_000, (runs) => {
      second?.assertRunning();
      record(runs);
    });
    // Watch a little longer: a second terminal write would show up now.
    await new Promise((r) => setTimeout(r, 5000));
    for (const run of await ns.list()) final.set(run.name, run);
  }, 480_000);

  afterAll(async () => {
    try {
      await tearDown(ns, second ?? first);
    } finally {
      await first?.kill();
      await runtime.delete();
    }
  }, 120_000);

  it('every run reaches one terminal status, Accepted, never rewritten', () => {
    expect(inExecAtKill.size).toBeGreaterThanOrEqual(RUNS / 2);
    for (const name of names) {
      const run = final.get(name);
      expect(run?.status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
      expect(run?.status).toEqual(firstTerminal.get(name));
    }
  });

  it('a run whose exec died with the operator was retried in a fresh pod, counted in attempts', () => {
    for (const [name, podAtKill] of inExecAtKill) {
      const status = final.get(name)?.status;
      expect(status?.attempts).toBeGreaterThanOrEqual(2);
      expect(status?.podName).not.toBe(podAtKill);
    }
  });

  it('no claimed pool pod and no sandbox object of these runs is left', async () => {
    await ns.expectNoSandboxObjectsLeft(60_000);
    await eventually('no claimed pod in the pool', async () => (await runtime.pods()).every((p) => p.metadata?.labels?.['coderun.dev/pool-state'] !== 'claimed'), 30_000);
  });
});
