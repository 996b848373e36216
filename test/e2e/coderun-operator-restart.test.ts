import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, copyRuntime, isTerminal, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, counterSum, ensureInstalled } from '../support/installed-operator.js';
import { VERDICTS, type CodeRunSpec, type CodeRunStatus, type Verdict } from '../../src/crds/coderun.js';

// The operator is killed (SIGKILL: no clean up, its Lease left to expire) in the middle of a burst
// of 30 runs and started again. Every run must reach exactly one terminal status with the verdict
// its program deserves, no terminal status may be rewritten, each verdict is announced once, and
// nothing is left behind in the sandbox namespace.

const RUNS = 30;
const SUM_TESTS = [
  { name: '1', stdin: '2 3\n', expectedStdout: '5\n' },
  { name: '2', stdin: '10 -4\n', expectedStdout: '6\n' },
];

/** Test-only copies of the standard Runtimes: coderun_runs_total{runtime} then counts only this burst. */
const suffix = Math.random().toString(16).slice(2, 8);
const RUNTIME = { c: `e2e-restart-c-${suffix}`, python3: `e2e-restart-python3-${suffix}` };

/** Three kinds of run, so the burst mixes compiling, sleeping and failing programs. */
function runOf(i: number): { spec: CodeRunSpec; verdict: Verdict } {
  switch (i % 3) {
    case 0:
      return {
        spec: { runtime: RUNTIME.c, source: { inline: '#include <stdio.h>\nint main(void) { long a, b; scanf("%ld %ld", &a, &b); printf("%ld\\n", a + b); return 0; }\n' }, tests: SUM_TESTS },
        verdict: 'Accepted',
      };
    case 1:
      return {
        spec: { runtime: RUNTIME.python3, source: { inline: 'import time\ntime.sleep(1)\na, b = map(int, input().split())\nprint(a + b)\n' }, tests: SUM_TESTS },
        verdict: 'Accepted',
      };
    default:
      return { spec: { runtime: RUNTIME.python3, source: { inline: 'a, b = map(int, input().split())\nprint(a * b)\n' }, tests: SUM_TESTS }, verdict: 'WrongAnswer' };
  }
}

const names = Array.from({ length: RUNS }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
const expectedVerdict = new Map(names.map((name, i) => [name, runOf(i).verdict]));
const TERMINAL_REASONS = new Set<string>([...VERDICTS, 'Invalid']);

describe('the operator killed in the middle of a burst of runs', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-restart');
  let first: InstalledOperator | undefined;
  let second: InstalledOperator | undefined;
  /** Each run's status as first seen terminal, to check that it is never rewritten. */
  const firstTerminal = new Map<string, CodeRunStatus>();
  const record = (runs: ObservedCodeRun[]) => {
    for (const run of runs) if (isTerminal(run.status) && !firstTerminal.has(run.name)) firstTerminal.set(run.name, structuredClone(run.status));
  };
  let killedAt = 0;
  let openAtKill = 0;
  let runningAtKill = 0;
  let notStartedAtKill = 0;
  let final = new Map<string, ObservedCodeRun>();
  let runtimes: { delete(): Promise<void> }[] = [];

  beforeAll(async () => {
    // The copies exist before the operator starts: its first list has them, so no run can meet a
    // cache that has not seen its Runtime yet.
    await ensureInstalled(kc);
    runtimes = await Promise.all(Object.entries(RUNTIME).map(([from, to]) => copyRuntime(kc, from, to)));
    // One worker: a slow operator, so that most of the burst is still in flight at the kill.
    first = await InstalledOperator.start(kc, { label: 'restart-1', env: { CODERUN_WORKERS: '1' } });
    await ns.create();
    await Promise.all(names.map((name, i) => ns.submit(name, runOf(i).spec)));

    // In the middle: some runs finished, most still queued, starting or running.
    await eventually(
      'a few runs of the burst terminal',
      async () => {
        first?.assertRunning();
        const runs = await ns.list();
        record(runs);
        return firstTerminal.size >= 2;
      },
      180_000,
    );
    await first.kill();
    killedAt = Date.now();
    const runs = await ns.list();
    record(runs);
    openAtKill = runs.filter((r) => !isTerminal(r.status)).length;
    runningAtKill = runs.filter((r) => r.status.phase === 'Running').length;
    notStartedAtKill = runs.filter((r) => r.status.phase === undefined || r.status.phase === 'Pending').length;

    second = await InstalledOperator.start(kc, { label: 'restart-2' });
    await ns.waitForTerminal(names, 300_000, (runs) => {
      second?.assertRunning();
      record(runs);
    });
    // Let the clean up after each terminal status (children, finalizer) finish, then look again.
    await eventually('every finalizer released', async () => (await ns.list()).every((r) => r.finalizers.length === 0), 60_000);
    final = new Map((await ns.list()).map((r) => [r.name, r]));
  }, 900_000);

  afterAll(async () => {
    try {
      await ns.destroy();
      await Promise.all(runtimes.map((r) => r.delete()));
    } finally {
      await first?.kill();
      await second?.release();
    }
  }, 90_000);

  it('was killed while runs were still open, some of them with live sandbox pods', () => {
    expect(firstTerminal.size).toBeGreaterThanOrEqual(2);
    expect(openAtKill).toBeGreaterThan(0);
    expect(runningAtKill).toBeGreaterThan(0);
    expect(openAtKill).toBe(runningAtKill + notStartedAtKill);
  });

  it('every run reached a terminal status with the verdict its program deserves', () => {
    const verdicts = names.map((name) => [name, final.get(name)?.status.phase, final.get(name)?.status.verdict]);
    expect(verdicts).toEqual(names.map((name) => [name, 'Completed', expectedVerdict.get(name)]));
  });

  it('no terminal status was rewritten after it was first seen', () => {
    for (const name of names) {
      expect([name, final.get(name)?.status]).toEqual([name, firstTerminal.get(name)]);
    }
  });

  it('each run announced its verdict in exactly one Event (but for Events in flight at the kill)', async () => {
    // Events are written after the status, best effort: one sent just before the SIGKILL may be
    // lost. finishedAt is taken when the reconcile that finished the run began, hence the margin.
    const inFlightAtKill = (status: CodeRunStatus | undefined) => {
      const finished = Date.parse(status?.finishedAt ?? '');
      return finished > killedAt - 5_000 && finished <= killedAt;
    };
    await eventually(
      'one verdict Event per run',
      async () => {
        const counts = await Promise.all(
          names.map(async (name) => (await ns.eventsOf(name)).filter((e) => TERMINAL_REASONS.has(e.reason ?? '')).length),
        );
        return counts.every((count, i) => count === 1 || (count === 0 && inFlightAtKill(final.get(names[i] ?? '')?.status)));
      },
      20_000,
    );
    for (const name of names) {
      const count = (await ns.eventsOf(name)).filter((e) => TERMINAL_REASONS.has(e.reason ?? '')).length;
      expect([name, count <= 1]).toEqual([name, true]);
    }
  }, 60_000);

  it('the restarted operator finished exactly the runs the killed one had not', async () => {
    const finishedAfterKill = names.filter((name) => Date.parse(final.get(name)?.status.finishedAt ?? '') > killedAt).length;
    if (!second) throw new Error('the second operator did not start (see beforeAll)');
    const metrics = await second.metrics();
    const counted = Object.values(RUNTIME).reduce((n, runtime) => n + counterSum(metrics, 'coderun_runs_total', { runtime }), 0);
    expect(counted).toBe(finishedAfterKill);
  });

  it('no sandbox pod or ConfigMap is left behind', async () => {
    await ns.expectNoSandboxObjectsLeft();
  }, 40_000);
});
