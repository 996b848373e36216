import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, counterSum, ensureInstalled } from '../support/installed-operator.js';
import { HOSTILE_OPERATOR_ENV, hostileProgram } from './hostile-support.js';
import { PoolRuntime, SMALL_POOL_REQUESTS, isReady } from './warm-support.js';

// The leftover suite of warmPool.runsPerPod: a pool of one pod that may serve three runs. Run P
// describes its sandbox (leftover-probe.c), run A (leftover-leave.c) leaves everything it can for
// the next run (files everywhere it can write, a background process in a session of its own with
// an abstract socket, a memfd and an inotify watch, SysV objects, a POSIX queue, the termination
// log, rlimits, environment, umask), run B describes its sandbox again in the same pod and looks
// for each of A's traces by name. B must see exactly what P saw. The pod then goes (three runs
// served) and a fourth run in a fresh pod sees the same again.

const suffix = Math.random().toString(16).slice(2, 8);
const STATE = 'coderun.dev/pool-state';
const RUNS_SERVED = 'coderun.dev/pool-runs-served';
const LIMITS = { processes: 16, cpuTimeMillis: 5000, wallTimeMillis: 15000 };

const runOf = (file: string) => ({ source: { inline: hostileProgram(file) }, tests: [{ name: '1', stdin: '' }], limits: LIMITS });

describe('warmPool.runsPerPod: nothing of one run reaches the next in the same pod', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-reuse');
  const runtime = new PoolRuntime(kc, `e2e-reuse-c-${suffix}`);
  let operator: InstalledOperator | undefined;

  beforeAll(async () => {
    await ensureInstalled(kc);
    await runtime.createFrom('c', { replicas: 1, runsPerPod: 3, resources: SMALL_POOL_REQUESTS });
    operator = await InstalledOperator.start(kc, { label: 'warm-reuse', env: HOSTILE_OPERATOR_ENV });
    await ns.create();
  }, 180_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await runtime.delete();
    }
  }, 120_000);

  const idlePods = async () => (await runtime.pods()).filter((p) => p.metadata?.labels?.[STATE] === 'idle' && isReady(p));

  /** Submits one run, once the pool's one pod is idle again, and waits for its end. */
  async function runAlone(name: string, file: string): Promise<ObservedCodeRun> {
    await eventually(`an idle pool pod for ${name}`, async () => (await idlePods()).length === 1, 120_000);
    await ns.submit(name, { ...runOf(file), runtime: runtime.name });
    const done = await ns.waitForOne(name, 120_000);
    expect(done.status).toMatchObject({ phase: 'Completed', path: 'warm', attempts: 1 });
    return done;
  }

  const stdoutOf = (run: ObservedCodeRun): string => run.status.tests?.[0]?.stdout ?? '';

  it('serves P, A and B in one pod; B sees exactly what P saw; then the pod goes and a fresh one sees the same', async () => {
    const p = await runAlone('probe-first', 'leftover-probe.c');
    const podName = p.status.podName;
    // The pod goes back to the pool right after the run's status is written.
    const podOf = async () => (await runtime.pods()).find((pod) => pod.metadata?.name === podName);
    await eventually('the pod back in the pool, counting one run', async () => (await podOf())?.metadata?.annotations?.[RUNS_SERVED] === '1', 30_000);
    const afterP = await podOf();
    expect(afterP?.metadata?.labels?.[STATE]).toBe('idle');
    expect(afterP?.metadata?.labels).not.toHaveProperty('coderun.dev/run-uid');
    expect(afterP?.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Runtime', name: runtime.name })]);

    const a = await runAlone('leave-traces', 'leftover-leave.c');
    expect(a.status.podName).toBe(podName);
    const left = stdoutOf(a).trim().split('\n');
    // A left every trace it meant to (the suite would prove nothing otherwise); the kernel refused
    // only what it may refuse (attributes on the volumes' roots) and every touch of the runner's
    // binary ("busy" comes first for a binary being executed: PID 1 runs it).
    expect(left.filter((line) => !line.startsWith('OK ') && !line.startsWith('REFUSED attribute on '))).toEqual([
      expect.stringMatching(/^REFUSED writing the runner binary: (Text file busy|Read-only file system)$/),
      'REFUSED removing the runner binary: Read-only file system',
      'REFUSED a new file next to the runner: Read-only file system',
    ]);
    expect(left.filter((line) => line.startsWith('OK ')).length).toBeGreaterThanOrEqual(16);

    const b = await runAlone('probe-after', 'leftover-probe.c');
    expect(b.status.podName).toBe(podName);
    const report = stdoutOf(b);
    expect(report).not.toMatch(/HERE|CODERUN_LEFTOVER|^(entry|unix socket|attribute).*(leftover|late|locked|fifo|hidden)/m);
    expect(report).toContain('abstract socket of run A: Connection refused');
    // RLIMIT_NPROC (rlimit 6) is the uid's other tasks plus the run's processes: it moves with
    // the runner's own thread count, not with anything a run leaves (a process left would fail
    // the runner's check before the job).
    const comparable = (text: string) => text.replace(/^rlimit 6: .*$/m, '');
    expect(comparable(report)).toBe(comparable(stdoutOf(p)));

    // Three runs served: the pod goes, a replacement takes its place.
    await eventually('the pod that served three runs to be deleted', async () => !(await runtime.pods()).some((pod) => pod.metadata?.name === podName), 60_000);
    const fresh = await runAlone('probe-fresh-pod', 'leftover-probe.c');
    expect(fresh.status.podName).not.toBe(podName);
    // Only the runner's copy time differs between two pods.
    const withoutCopyTime = (text: string) => comparable(text).replace(/^runner binary .*$/m, '');
    expect(withoutCopyTime(stdoutOf(fresh))).toBe(withoutCopyTime(report));

    const metrics = await operator!.metrics();
    // The first pod went back twice (after P and A, not after B), the fresh one after its first run.
    expect(counterSum(metrics, 'coderun_warm_pool_pod_reuses_total', { runtime: runtime.name })).toBe(3);
  }, 600_000);
});
