import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import {
  CANARY_PYTHON,
  HOSTILE_OPERATOR_ENV,
  PATHS,
  PathRuntimes,
  ResponsivenessProbe,
  hostileProgram,
  leaseLossesInLog,
  outcome,
  readLease,
  runName,
  verdictOf,
  waitAndTime,
  type LeaseSeen,
  type RunPath,
} from './hostile-support.js';

// Hostile submissions against their own runner (issue "hostile submissions", parts 2 and 7): the
// program runs as the runner's uid in the runner's pod, and tries every way to stop, kill, slow,
// trace or impersonate it, and PID 1 (hostile-programs/runner-attacks.c: signals at every thread
// of every process it can see, SIGIO on the kernel's behalf, others' resource limits and
// scheduling, ptrace and /proc, a double-forked daemon in its own session, a forged result
// written everywhere). Every attempt must fail; the run gets the program's own verdict, at the
// first attempt; a second test of the same run shows the runner still serves; other runs finish;
// the operator keeps its Lease.

const suffix = Math.random().toString(16).slice(2, 8);
const SOURCE = hostileProgram('runner-attacks.c');
/** Written to /dev/termination-log by the forging program: it must never reach a status. */
const TERMINATION_TEXT = `TERMLOG-${suffix}`;
const MAX_ATTEMPTS = 3; // CODERUN_MAX_ATTEMPTS' default

/** One attack, then a test that shows the runner still runs programs. */
const attack = (words: string) => ({
  source: { inline: SOURCE },
  tests: [
    { name: 'attack', stdin: `${words}\n` },
    { name: 'after', stdin: 'alive\n', expectedStdout: 'alive\n' },
  ],
  limits: { processes: 8, cpuTimeMillis: 5000, wallTimeMillis: 15000 },
});

/** The attacks every one of whose attempts must fail, and the summary lines each must print. */
const REFUSED: Record<string, string[]> = {
  signals: ['kill STOP', 'tgkill STOP', 'tkill STOP', 'rt_sigqueueinfo STOP', 'rt_tgsigqueueinfo STOP', 'pidfd_open+pidfd_send_signal STOP', 'kill(-1) STOP', 'kill TERM+KILL', 'rt_sigqueueinfo TERM+KILL', 'kill(-1) TERM+KILL'],
  sigio: ['F_SETOWN+F_SETSIG+O_ASYNC STOP', 'FIOSETOWN/SIOCSPGRP+FIOASYNC STOP', 'F_SETOWN+F_SETSIG+O_ASYNC TERM+KILL'],
  rlimits: ['prlimit64'],
  sched: [
    'setpriority(PRIO_PROCESS)',
    'setpriority(PRIO_USER)',
    'sched_setaffinity',
    'sched_setscheduler',
    'sched_setattr',
    'sched_setparam',
    'ioprio_set',
    'migrate_pages/move_pages',
  ],
  ptrace: [
    'ptrace(PTRACE_ATTACH)',
    'ptrace(PTRACE_SEIZE)',
    'open(/proc/pid/mem, O_RDWR)',
    'process_vm_writev',
    'open(/proc/pid/fd/N)',
    'read(/proc/pid/environ)',
    'pidfd_getfd',
    'write(/proc/pid/{oom_score_adj,timerslack_ns,comm})',
  ],
};

const cases: Record<string, ReturnType<typeof attack>> = {
  ...Object.fromEntries(Object.keys(REFUSED).map((word) => [word, attack(word)])),
  daemon: attack('daemon'),
  forge: attack(`forge ${TERMINATION_TEXT}`),
  sabotage: attack('sabotage'),
};
const CANARY = 'canary';

interface Summary {
  line: string;
  name: string;
  tried: number;
  ok: number;
}

/** The "<attack>: tried N, ok K, ERRNO=n ..." lines of a report. */
function summaries(report: string): Summary[] {
  return report.split('\n').flatMap((line) => {
    const m = /^(.+): tried (\d+), ok (\d+)/.exec(line);
    return m ? [{ line, name: m[1] ?? '', tried: Number(m[2]), ok: Number(m[3]) }] : [];
  });
}

/** Lines reporting an attempt that got through. */
const gotThrough = (report: string): string[] => report.split('\n').filter((line) => line.startsWith('OK '));

describe("a hostile program cannot kill, stop, slow, trace or impersonate its runner", () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-hostile-runner');
  const c = new PathRuntimes(kc, 'c', suffix);
  const python = new PathRuntimes(kc, 'python3', suffix);
  let operator: InstalledOperator | undefined;
  let lease: LeaseSeen | undefined;
  let probe: { longestMs: number; failures: string[] } | undefined;
  let results = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    await ensureInstalled(kc);
    await c.create(4);
    await python.create(1);
    operator = await InstalledOperator.start(kc, { label: 'hostile-runner', env: HOSTILE_OPERATOR_ENV });
    lease = await readLease(kc);
    await ns.create();
    const running = new ResponsivenessProbe(operator);
    try {
      const names: string[] = [];
      const submissions = Object.entries(cases).flatMap(([name, spec]) =>
        PATHS.map((path) => {
          names.push(runName(name, path));
          return ns.submit(runName(name, path), { ...spec, runtime: c.name(path) });
        }),
      );
      for (const path of PATHS) {
        names.push(runName(CANARY, path));
        submissions.push(ns.submit(runName(CANARY, path), { ...CANARY_PYTHON, runtime: python.name(path) }));
      }
      await Promise.all(submissions);
      results = (await waitAndTime(ns, names, 480_000, operator)).results;
    } finally {
      probe = await running.stop();
    }
  }, 720_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await Promise.all([c.delete(), python.delete()]);
    }
  }, 120_000);

  const run = (name: string, path: RunPath): ObservedCodeRun => terminalRun(results, runName(name, path));

  describe.each(PATHS)('on the %s path', (path) => {
    it.each(Object.entries(REFUSED))('%s: every attempt fails, the run is Accepted at its first attempt and its runner serves the next test', (name, required) => {
      const attacked = run(name, path);
      expect(outcome(attacked)).toEqual({ phase: 'Completed', verdict: 'Accepted', path, attempts: 1, message: expect.stringMatching(/^Accepted/), stdout: expect.any(String) });
      const { status } = attacked;
      expect(status.tests?.map((t) => [t.name, t.verdict, t.exitCode])).toEqual([
        ['attack', 'Accepted', 0],
        ['after', 'Accepted', 0],
      ]);
      expect(status.tests?.[1]?.stdout).toBe('alive\n');
      const report = status.tests?.[0]?.stdout ?? '';
      expect(gotThrough(report)).toEqual([]);
      const found = summaries(report);
      // Each attack ran to its end and tried something, and nothing of it got through.
      expect(required.filter((r) => !found.some((s) => s.name === r && s.tried > 0))).toEqual([]);
      expect(found.filter((s) => s.ok > 0).map((s) => s.line)).toEqual([]);
    });

    it('daemon: a setsid double-forked grandchild gets nothing through, before or after the main process exits, and is gone with it', () => {
      const daemon = run('daemon', path);
      expect(outcome(daemon)).toEqual({ phase: 'Completed', verdict: 'Accepted', path, attempts: 1, message: expect.stringMatching(/^Accepted/), stdout: expect.any(String) });
      const { status } = daemon;
      const report = status.tests?.[0]?.stdout ?? '';
      expect(gotThrough(report)).toEqual([]);
      expect(report).toMatch(/^DAEMON round 1: tried [1-9]\d*, ok 0$/m);
      expect(report).toMatch(/^MAIN exits \(daemon round 1 reported\)$/m);
      // Whatever rounds the daemon got in after the main process exited, none got anything through.
      for (const m of report.matchAll(/^DAEMON round \d+, after the main process exited: tried \d+, ok (\d+)$/gm)) expect(m[1]).toBe('0');
      // Killed with the main process: the test ends at once, not at its 15 s wall limit.
      expect(status.tests?.[0]?.wallTimeMillis).toBeLessThan(10_000);
      expect(status.tests?.[1]).toMatchObject({ verdict: 'Accepted', stdout: 'alive\n' });
    });

    it("forge: a result document written to every writable place and the runner's outputs changes nothing; the real verdict stands", () => {
      const forge = run('forge', path);
      // The forged document says test "attack" exited 0 with the expected output; it exited 3.
      expect(verdictOf(forge)).toEqual({ phase: 'Completed', verdict: 'RuntimeError', path, attempts: 1, message: 'RuntimeError on test attack: exit code 3' });
      const { status } = forge;
      const [forged, after] = status.tests ?? [];
      expect(forged).toMatchObject({ name: 'attack', verdict: 'RuntimeError', exitCode: 3 });
      // The forged document is just the program's stdout.
      expect(forged?.stdout).toMatch(/^\{"compile":\{.*"stdout":"FORGED-RESULT\\n"/);
      expect(after).toMatchObject({ name: 'after', verdict: 'Accepted', stdout: 'alive\n' });
      const report = forged?.stderr ?? '';
      expect(gotThrough(report).filter((line) => !line.startsWith("OK forge into the program's own files"))).toEqual([]);
      const found = summaries(report);
      expect(found.find((s) => s.name === "forge into the runner's or PID 1's output")?.tried).toBeGreaterThan(0);
      expect(found.find((s) => s.name === 'kill KILL')?.tried).toBeGreaterThan(0);
      expect(found.filter((s) => s.ok > 0 && s.name !== "forge into the program's own files").map((s) => s.line)).toEqual([]);
      // No descriptor of the runner's (its result pipe, the job) is left open in the program.
      expect(report.split('\n').filter((line) => line.startsWith('inherited fd'))).toEqual([]);
    });

    it('sabotage: a program that replaces its own executable by a directory breaks no later test and causes no SystemError', () => {
      const { status } = run('sabotage', path);
      // The runner restores the work directory before every test: the next test runs the real
      // program again, at the first attempt.
      expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path, attempts: 1 });
      expect(status.tests?.[0]).toMatchObject({ name: 'attack', verdict: 'Accepted', stdout: 'unlink main: ok\nmkdir main: ok\n' });
      expect(status.tests?.[1]).toMatchObject({ name: 'after', verdict: 'Accepted' });
    });

    it('a plain run submitted meanwhile is Accepted, once', () => {
      expect(verdictOf(run(CANARY, path))).toEqual({ phase: 'Completed', verdict: 'Accepted', path, attempts: 1, message: 'Accepted: output matches' });
    });
  });

  it('no hostile run made the platform retry without bound; a SystemError always says why', () => {
    const failures = [...results.values()]
      .filter((r) => r.status.attempts === undefined || r.status.attempts > MAX_ATTEMPTS || (r.status.verdict === 'SystemError' && !/giving up after \d+ attempts/.test(r.status.message ?? '')))
      .map((r) => ({ name: r.name, attempts: r.status.attempts, message: r.status.message }));
    expect(failures).toEqual([]);
  });

  it('what a program writes to /dev/termination-log never reaches a status', () => {
    const leaked = [...results.values()].filter((r) => JSON.stringify(r.status).includes(TERMINATION_TEXT)).map((r) => r.name);
    expect(leaked).toEqual([]);
  });

  it('the operator stayed up, kept answering and kept its Lease throughout', async () => {
    operator?.assertRunning();
    // The Lease is held by a pod of the release (its name is the identity).
    expect(lease?.holder).toMatch(/^coderun-operator-/);
    expect(await readLease(kc)).toEqual(lease);
    if (!operator) throw new Error('no operator');
    expect(await leaseLossesInLog(operator)).toEqual([]);
    expect(probe?.failures).toEqual([]);
    expect(probe?.longestMs).toBeLessThan(3000);
  });
});
