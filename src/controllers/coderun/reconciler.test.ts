// The CodeRun reconciler against a fake API edge (fake-cluster.ts), scenario by scenario, each
// checked by what a user would look at: the run's status, its finalizer, the API writes taken,
// and the sandbox objects left behind.
import type { V1Pod } from '@kubernetes/client-node';
import type { CodeRunSpec } from '../../crds/coderun.js';
import { claimedPodMetadata } from '../../sandbox/pool-labels.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../sandbox/pod.js';
import { FakeCluster, Killed, OperatorUnderTest, finalizerOf, type Write } from './fake-cluster.js';
import { FINALIZER } from './observed-run.js';

const ECHO: CodeRunSpec = { runtime: 'python3', source: { inline: 'print(input())' }, tests: [{ name: 't1', stdin: 'hello\n', expectedStdout: 'hello\n' }] };
const signal = () => ({ signal: new AbortController().signal });

/** The run finished with the verdict, judged once, with nothing left behind. */
function expectJudgedAndClean(cluster: FakeCluster, key: string, verdict: string): void {
  expect(cluster.status(key)).toMatchObject({ verdict });
  expect(cluster.terminalWrites.get(key)).toBe(1);
  expect(cluster.podsOf(key)).toEqual([]);
  expect(finalizerOf(cluster.runs.get(key))).toBe(false);
}

/** A new run and the operator's first reconcile of it. */
async function firstPass() {
  const cluster = new FakeCluster();
  const key = cluster.submit('echo', ECHO);
  const operator = new OperatorUnderTest(cluster);
  cluster.sync();
  await operator.reconcile(key, signal());
  return { cluster, key, operator };
}

describe('CodeRun reconciler', () => {
  it('adds the finalizer and starts the run in one pass, then judges it and cleans up', async () => {
    const { cluster, key, operator } = await firstPass();
    expect(cluster.writes).toEqual<Write[]>(['setFinalizers', 'createPod', 'patchStatus']);
    expect(cluster.runs.get(key)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(cluster.status(key)).toMatchObject({ phase: 'Running', path: 'cold', attempts: 1 });
    await operator.settle(key);
    expectJudgedAndClean(cluster, key, 'Accepted');
    expect(cluster.writes).toEqual<Write[]>(['setFinalizers', 'createPod', 'patchStatus', 'patchStatus', 'deleteAll', 'setFinalizers']);
  });

  it('does not act on a cache that still shows the version it wrote over', async () => {
    const { cluster, key, operator } = await firstPass();
    const before = [...cluster.writes];
    // No sync: the cache shows the run as it was before the finalizer and the start.
    await operator.reconcile(key, signal());
    expect(cluster.writes).toEqual(before);
    expect(cluster.podsOf(key)).toHaveLength(1);
  });

  it('reads the pod from the API on a cache miss instead of calling it lost', async () => {
    const { cluster, key, operator } = await firstPass();
    cluster.sync();
    cluster.forgetPodsInCache();
    await operator.reconcile(key, signal());
    expect(cluster.podReads).toBe(1);
    expect(cluster.writes).not.toContain('deleteAll');
    expect(cluster.status(key)).toMatchObject({ phase: 'Running', attempts: 1 });
  });

  it('looks again soon after losing every claim, and runs warm once a claim holds', async () => {
    const cluster = new FakeCluster();
    const key = cluster.submit('echo', ECHO);
    const operator = new OperatorUnderTest(cluster);
    cluster.warm = () => ({ kind: 'wait', ms: 5 });
    cluster.sync();
    expect(await operator.reconcile(key, signal())).toEqual({ requeueAfterMs: 5 });
    expect(cluster.writes).toEqual<Write[]>(['setFinalizers']);
    expect(cluster.status(key)).toBeUndefined();

    const run = { namespace: 'judge', name: 'echo', uid: 'uid-echo' };
    const pod: V1Pod = { metadata: { name: 'pool-python3-abcde', namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata(run, 'python3', 1) } };
    cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/pool-python3-abcde`, pod);
    cluster.warm = () => ({ kind: 'claimed', pod, fresh: true });
    await operator.settle(key);
    expect(cluster.status(key)).toMatchObject({ path: 'warm', podName: 'pool-python3-abcde', attempts: 1 });
    expectJudgedAndClean(cluster, key, 'Accepted');
    expect(cluster.writes).not.toContain('createPod');
  });

  it('claims the pool pod while the finalizer is written, and a claim whose finalizer write failed is taken up by the retry', async () => {
    const cluster = new FakeCluster();
    const key = cluster.submit('echo', ECHO);
    const run = { namespace: 'judge', name: 'echo', uid: 'uid-echo' };
    const pod: V1Pod = { metadata: { name: 'pool-python3-abcde', namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata(run, 'python3', 1) } };
    cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/pool-python3-abcde`, pod);
    const claims: number[] = [];
    cluster.warm = () => {
      claims.push(cluster.writes.length);
      return { kind: 'claimed', pod, fresh: claims.length === 1 };
    };
    // The operator dies at its first write, the finalizer: the claim was asked for already.
    cluster.killAt = { write: 1, applied: false };
    cluster.sync();
    await expect(new OperatorUnderTest(cluster).reconcile(key, signal())).rejects.toThrow(Killed);
    expect(claims).toEqual([0]);
    cluster.killAt = undefined;
    await new OperatorUnderTest(cluster).settle(key);
    // The retry finds the same pod (claimed for attempt 1) and runs there, once.
    expect(claims).toEqual([0, 0]);
    expect(cluster.status(key)).toMatchObject({ path: 'warm', podName: 'pool-python3-abcde', attempts: 1 });
    expectJudgedAndClean(cluster, key, 'Accepted');
    expect(cluster.writes).toEqual<Write[]>(['setFinalizers', 'patchStatus', 'patchStatus', 'deleteAll', 'setFinalizers']);
  });

  it('times a warm run stage by stage, each stage once, adding up to the run duration', async () => {
    let ms = Date.parse('2026-12-06T10:00:00Z');
    // Every look at the clock is 7 ms later: each stage takes some time.
    const cluster = new FakeCluster(() => new Date((ms += 7)));
    const key = cluster.submit('echo', ECHO);
    const operator = new OperatorUnderTest(cluster);
    const run = { namespace: 'judge', name: 'echo', uid: 'uid-echo' };
    const pod: V1Pod = { metadata: { name: 'pool-python3-abcde', namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata(run, 'python3', 1) } };
    cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/pool-python3-abcde`, pod);
    cluster.warm = () => ({ kind: 'claimed', pod, fresh: true });
    // Its key was queued by the informer's event at the run's creation.
    const created = new Date(cluster.runs.get(key)!.metadata.creationTimestamp!);
    cluster.sync();
    await operator.reconcile(key, { signal: new AbortController().signal, queuedAt: created });
    await operator.settle(key);
    expectJudgedAndClean(cluster, key, 'Accepted');
    const { metrics } = operator.deps;
    const stages = (await metrics.runStageSeconds.get()).values.filter((v) => v.metricName?.endsWith('_count') && v.value > 0);
    expect(stages.map((v) => [v.labels.path, v.labels.stage, v.value])).toEqual(
      ['queue', 'claim', 'record', 'execution', 'pickup', 'judging', 'write'].map((stage) => ['warm', stage, 1]),
    );
    const sumOf = async (h: typeof metrics.runStageSeconds | typeof metrics.runDurationSeconds) =>
      (await h.get()).values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
    const duration = await sumOf(metrics.runDurationSeconds);
    expect(duration).toBeGreaterThan(0.03);
    // The duration is taken just before the last stage ends: one tick apart at most.
    expect(Math.abs((await sumOf(metrics.runStageSeconds)) - duration)).toBeLessThanOrEqual(0.007 + 1e-9);
  });

  describe('after a warm run that ended cleanly (warmPool.runsPerPod)', () => {
    async function warmRun(released: boolean) {
      const cluster = new FakeCluster();
      const key = cluster.submit('echo', ECHO);
      const operator = new OperatorUnderTest(cluster);
      const run = { namespace: 'judge', name: 'echo', uid: 'uid-echo' };
      const name = 'pool-python3-abcde';
      const pod: V1Pod = { metadata: { name, namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata(run, 'python3', 1) } };
      cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/${name}`, pod);
      cluster.warm = () => ({ kind: 'claimed', pod, fresh: true });
      cluster.releaseWarm = () => released;
      cluster.sync();
      await operator.settle(key);
      return { cluster, key, operator, name };
    }

    it('a pod its pool takes back stays, with no trace of the run, and the run is done', async () => {
      const { cluster, key, operator, name } = await warmRun(true);
      expectJudgedAndClean(cluster, key, 'Accepted');
      expect(cluster.releases).toEqual([name]);
      expect(cluster.writes).not.toContain('deleteAll');
      const kept = cluster.pods.get(`${DEFAULT_SANDBOX_CONFIG.namespace}/${name}`);
      expect(kept?.metadata?.labels).toMatchObject({ 'coderun.dev/pool-state': 'idle' });
      expect(kept?.metadata?.labels).not.toHaveProperty('coderun.dev/run-uid');
      // Reconciles of the finished run never touch the pod another run may hold now.
      await operator.settle(key);
      expect(cluster.pods.has(`${DEFAULT_SANDBOX_CONFIG.namespace}/${name}`)).toBe(true);
      expect(cluster.writes).not.toContain('deleteAll');
    });

    // A warm run's writes: finalizer, Running, verdict, the pod released, finalizer removed.
    const warmKills = [1, 2, 3, 4, 5].flatMap((write) => [
      { write, applied: false },
      { write, applied: true },
    ]);
    it.each(warmKills)('an operator killed at write $write (applied: $applied) and started again judges once; the pod is back in the pool without a trace of the run, or gone', async (killAt) => {
      const cluster = new FakeCluster();
      const key = cluster.submit('echo', ECHO);
      const run = { namespace: 'judge', name: 'echo', uid: 'uid-echo' };
      const name = 'pool-python3-abcde';
      const podKey = `${DEFAULT_SANDBOX_CONFIG.namespace}/${name}`;
      const pod: V1Pod = { metadata: { name, namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata(run, 'python3', 1) } };
      cluster.pods.set(podKey, pod);
      cluster.warm = () => ({ kind: 'claimed', pod, fresh: true });
      cluster.releaseWarm = () => true;
      cluster.killAt = killAt;
      cluster.sync();
      await expect(new OperatorUnderTest(cluster).settle(key)).rejects.toThrow(Killed);
      cluster.killAt = undefined;
      // After a restart the pool has a fresh pod; the killed attempt's pod is never claimed again.
      cluster.warm = () => ({ kind: 'cold' });
      const restarted = new OperatorUnderTest(cluster);
      await restarted.sweepAtStart();
      await restarted.settle(key);
      expectJudgedAndClean(cluster, key, 'Accepted');
      const left = cluster.pods.get(podKey);
      if (left !== undefined) {
        expect(left.metadata?.labels).toMatchObject({ 'coderun.dev/pool-state': 'idle' });
        expect(left.metadata?.labels).not.toHaveProperty('coderun.dev/run-uid');
        expect(cluster.writes.filter((w) => w === 'releasePod')).toEqual(['releasePod']);
      }
    });

    it('the job goes out while the Running record is written; a record that conflicts is written again, and the job is not sent twice', async () => {
      const cluster = new FakeCluster();
      const key = cluster.submit('echo', ECHO);
      const run = { namespace: 'judge', name: 'echo', uid: 'uid-echo' };
      const name = 'pool-python3-abcde';
      const pod: V1Pod = { metadata: { name, namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata(run, 'python3', 1) } };
      cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/${name}`, pod);
      // Its finalizer is on already: the conflict meets the record write, not the finalizer's.
      const submitted = cluster.runs.get(key);
      if (submitted !== undefined) submitted.metadata.finalizers = [FINALIZER];
      let claims = 0;
      cluster.warm = () => {
        // Someone changes the run (a label, say) while its pod is claimed: the record conflicts.
        if (claims++ === 0) {
          const stored = cluster.runs.get(key);
          if (stored !== undefined) stored.metadata.resourceVersion = `${stored.metadata.resourceVersion}0`;
        }
        return { kind: 'claimed', pod, fresh: claims === 1 };
      };
      cluster.sync();
      const operator = new OperatorUnderTest(cluster);
      await expect(operator.reconcile(key, { signal: new AbortController().signal })).rejects.toMatchObject({ code: 409 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(cluster.execs).toEqual([name]);
      await operator.settle(key);
      expectJudgedAndClean(cluster, key, 'Accepted');
      expect(cluster.execs).toEqual([name]);
      expect(cluster.status(key)).toMatchObject({ path: 'warm', podName: name, attempts: 1 });
    });

    it('a pod its pool does not take back is deleted as after every run', async () => {
      const { cluster, key, name } = await warmRun(false);
      expect(cluster.releases).toEqual([name]);
      expectJudgedAndClean(cluster, key, 'Accepted');
      expect(cluster.writes).toContain('deleteAll');
    });
  });

  it('refuses a job over the runner\'s limit as invalid, starting nothing', async () => {
    const cluster = new FakeCluster();
    cluster.configMaps.set('huge', { data: { 'main.py': 'x'.repeat(65 * 1024 * 1024) } });
    const key = cluster.submit('huge', { ...ECHO, source: { configMapKeyRef: { name: 'huge', key: 'main.py' } } });
    const operator = new OperatorUnderTest(cluster);
    await operator.settle(key, 3);
    expect(cluster.status(key)?.phase).toBe('Failed');
    expect(cluster.status(key)?.verdict).toBeUndefined();
    expect(cluster.status(key)?.message).toMatch(/over the runner's 64 MiB/);
    expect(cluster.status(key)?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Valid', status: 'False', reason: 'InvalidSpec' })]));
    expect(cluster.writes).not.toContain('createPod');
    expect(cluster.terminalWrites.get(key)).toBe(1);
    expect(finalizerOf(cluster.runs.get(key))).toBe(false);
  });

  it('ends in SystemError when a retry cannot rebuild what it judges with (a reference went away)', async () => {
    const cluster = new FakeCluster();
    cluster.configMaps.set('tests', { data: { in: 'hello\n' } });
    const key = cluster.submit('refs', { ...ECHO, tests: [{ name: 't1', stdinFrom: { configMapKeyRef: { name: 'tests', key: 'in' } }, expectedStdout: 'hello\n' }] });
    const first = new OperatorUnderTest(cluster);
    cluster.sync();
    await first.reconcile(key, signal());
    expect(cluster.status(key)).toMatchObject({ phase: 'Running', attempts: 1 });
    // The operator restarts (its execution is gone) and the ConfigMap was deleted meanwhile.
    cluster.configMaps.clear();
    const second = new OperatorUnderTest(cluster);
    await second.sweepAtStart();
    await second.settle(key);
    expect(cluster.status(key)).toMatchObject({ phase: 'Failed', verdict: 'SystemError' });
    expect(cluster.status(key)?.message).toMatch(/attempt 2 cannot start: .*tests/);
    expectJudgedAndClean(cluster, key, 'SystemError');
  });

  it('deletes a finished run\'s leftover sandbox pod, in its reconcile and in the sweep', async () => {
    const cluster = new FakeCluster();
    const key = cluster.submit('echo', ECHO);
    await new OperatorUnderTest(cluster).settle(key);
    expectJudgedAndClean(cluster, key, 'Accepted');
    // A pod of the run that no status names (created by an operator killed mid-step).
    const leftover = (name: string): V1Pod => ({
      metadata: { name, namespace: DEFAULT_SANDBOX_CONFIG.namespace, ...claimedPodMetadata({ namespace: 'judge', name: 'echo', uid: 'uid-echo' }, 'python3', 2) },
    });
    cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/left-1`, leftover('left-1'));
    await new OperatorUnderTest(cluster).settle(key, 2);
    expect(cluster.podsOf(key)).toEqual([]);

    cluster.pods.set(`${DEFAULT_SANDBOX_CONFIG.namespace}/left-2`, leftover('left-2'));
    await new OperatorUnderTest(cluster).sweepAtStart();
    expect(cluster.podsOf(key)).toEqual([]);
    expect(cluster.terminalWrites.get(key)).toBe(1);
  });

  // The happy path writes: finalizer, pod, Running, verdict, children deleted, finalizer removed.
  const HAPPY_WRITES = 6;
  const kills = Array.from({ length: HAPPY_WRITES }, (_, i) => i + 1).flatMap((write) => [
    { write, applied: false },
    { write, applied: true },
  ]);
  it.each(kills)('an operator killed at write $write (applied: $applied) and started again judges the run once and leaves nothing behind', async (killAt) => {
    const cluster = new FakeCluster();
    const key = cluster.submit('echo', ECHO);
    cluster.killAt = killAt;
    await expect(new OperatorUnderTest(cluster).settle(key)).rejects.toThrow(Killed);
    cluster.killAt = undefined;
    const restarted = new OperatorUnderTest(cluster);
    await restarted.sweepAtStart();
    await restarted.settle(key);
    expectJudgedAndClean(cluster, key, 'Accepted');
    expect(cluster.status(key)?.attempts).toBeLessThanOrEqual(2);
  });
});
