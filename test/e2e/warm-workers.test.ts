import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun } from '../support/coderun-e2e.js';
import { eventually } from '../support/eventually.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import { PoolRuntime, SMALL_POOL_REQUESTS } from './warm-support.js';

// A run's exec is awaited outside the reconcile workers: with 2 workers and 4 long warm runs in
// flight, other runs still start, finish and are cleaned up while the long ones run.

const suffix = Math.random().toString(16).slice(2, 8);
const WORKERS = 2;
const LONG_RUNS = 4;
const LONG = { source: { inline: 'import time\ntime.sleep(8)\nprint("slept")\n' }, tests: [{ name: '1', stdin: '', expectedStdout: 'slept\n' }], limits: { wallTimeMillis: 20_000 } };
const QUICK = { source: { inline: 'a, b = map(int, input().split())\nprint(a + b)\n' }, tests: [{ name: '1', stdin: '2 3\n', expectedStdout: '5\n' }] };

describe(`more long warm runs in flight than the operator has workers (${WORKERS})`, () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-workers');
  const runtime = new PoolRuntime(kc, `e2e-workers-${suffix}`);
  let operator: InstalledOperator | undefined;
  const longNames = Array.from({ length: LONG_RUNS }, (_, i) => `long-${i}`);

  beforeAll(async () => {
    await ensureInstalled(kc);
    await runtime.createFrom('python3', { replicas: LONG_RUNS, resources: SMALL_POOL_REQUESTS });
    operator = await InstalledOperator.start(kc, { label: 'warm-workers', env: { CODERUN_WORKERS: String(WORKERS) } });
    await ns.create();
    await eventually('the pool to be ready and idle', async () => (await runtime.status())?.pool?.idle === LONG_RUNS, 120_000);
  }, 180_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await runtime.delete();
    }
  }, 120_000);

  it('other runs (cold, another namespace key) finish while every long warm run is still running', async () => {
    await Promise.all(longNames.map((name) => ns.submit(name, { ...LONG, runtime: runtime.name })));
    await eventually(
      'every long run to be Running on the warm path',
      async () => (await Promise.all(longNames.map((n) => ns.get(n)))).every((r) => r?.status.phase === 'Running' && r.status.path === 'warm'),
      30_000,
    );
    await ns.submit('quick-cold', { ...QUICK, runtime: 'python3' });
    const quick = await ns.waitForOne('quick-cold', 30_000);
    const longs = await Promise.all(longNames.map((n) => ns.get(n)));
    expect(quick.status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path: 'cold' });
    // The quick run got its verdict while the long ones were still in their exec.
    for (const long of longs) expect(long?.status.phase).toBe('Running');

    const done = await ns.waitForTerminal(longNames, 60_000);
    for (const name of longNames) expect(terminalRun(done, name).status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path: 'warm', attempts: 1 });
    for (const name of longNames) {
      expect(new Date(terminalRun(done, name).status.finishedAt ?? 0).getTime()).toBeGreaterThan(new Date(quick.status.finishedAt ?? 0).getTime());
    }
  }, 150_000);
});
