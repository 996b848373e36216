import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown } from '../support/coderun-e2e.js';
import { PodExec } from '../../src/kube/pod-exec.js';
import { InstalledOperator, counterSum, ensureInstalled } from '../support/installed-operator.js';
import { DEFAULT_SANDBOX_CONFIG, sandboxResources } from '../../src/sandbox/pod.js';
import { PoolRuntime, SMALL_POOL_REQUESTS, isReady, uidOf } from './warm-support.js';

// A Runtime's warm pool as its administrator sees it: ready sandbox pods, each under a uid of its
// own, the counts in the Runtime's status, claims that take a pod out of the pool (and a
// replacement that starts at once), scaling, rolling on a change of pod settings, and removal,
// which never takes a claimed pod from its run.

const suffix = Math.random().toString(16).slice(2, 8);
const STATE = 'coderun.dev/pool-state';
const SPEC_HASH = 'coderun.dev/pool-spec';

describe('a Runtime with a warm pool', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-pool');
  const runtime = new PoolRuntime(kc, `e2e-pool-${suffix}`);
  let operator: InstalledOperator | undefined;
  const readyIdle = async () => (await runtime.pods()).filter((p) => p.metadata?.labels?.[STATE] === 'idle' && isReady(p));

  beforeAll(async () => {
    await ensureInstalled(kc);
    await runtime.createFrom('python3', { replicas: 2 });
    operator = await InstalledOperator.start(kc, { label: 'warm-pool' });
    await ns.create();
  }, 120_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await runtime.delete();
    }
  }, 120_000);

  it('gets warmPool.replicas ready sandbox pods running `runner idle`, each under a uid of its own, counted in its status', async () => {
    await eventually('status.pool to show 2 ready idle pods', async () => {
      const pool = (await runtime.status())?.pool;
      return pool?.desired === 2 && pool.ready === 2 && pool.idle === 2;
    }, 120_000);
    const pods = await runtime.pods();
    expect(pods).toHaveLength(2);
    // RLIMIT_NPROC counts per uid on the whole node: no two sandbox pods share one.
    const sandboxUids = (await runtime.sandboxPods()).map(uidOf);
    expect(new Set(sandboxUids).size).toBe(sandboxUids.length);
    for (const pod of pods) {
      expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Runtime', name: runtime.name, controller: true })]);
      const spec = pod.spec!;
      const main = spec.containers.find((c) => c.name === 'sandbox')!;
      expect(main.command).toEqual(['/coderun/bin/runner', 'idle']);
      expect(spec.initContainers?.map((c) => c.name)).toEqual(['install-runner']);
      expect(main.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(spec).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false, dnsPolicy: 'None' });
      // Limited like a cold pod for the Runtime's max (python3: 1024 MiB); requesting what an
      // idle pod needs, so that many fit on a node.
      expect(main.resources?.limits?.memory).toBe(sandboxResources(1024, DEFAULT_SANDBOX_CONFIG).limits?.memory);
      expect(main.resources?.requests).toMatchObject({ cpu: '10m', memory: `${DEFAULT_SANDBOX_CONFIG.runnerOverheadMiB + 16}Mi` });
    }
  }, 150_000);

  it('a run claims a pod: it leaves the pool, a replacement with a uid of its own starts at once, the pod is deleted after the run', async () => {
    const created = await ns.submit('claim-me', { runtime: runtime.name, source: { inline: 'import time\ntime.sleep(4)\nprint("done")\n' } });
    const running = await ns.waitForRun('claim-me', 'running on the warm path', (r) => r.status.phase === 'Running' && r.status.path === 'warm', 30_000);
    const podName = running.status.podName!;
    await eventually('the claimed pod to be out of the pool: claimed by this run, owned by its Runtime no more', async () => {
      const pod = (await runtime.pods()).find((p) => p.metadata?.name === podName);
      const labels = pod?.metadata?.labels ?? {};
      return labels[STATE] === 'claimed' && labels['coderun.dev/run-uid'] === created.uid && (pod?.metadata?.ownerReferences ?? []).length === 0;
    }, 15_000);
    await eventually('two idle pods besides the claimed one (its replacement)', async () => (await readyIdle()).filter((p) => p.metadata?.name !== podName).length === 2, 60_000);
    const uids = (await runtime.pods()).map(uidOf);
    expect(new Set(uids).size).toBe(3);
    const done = await ns.waitForOne('claim-me', 60_000);
    expect(done.status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path: 'warm', podName, attempts: 1 });
    expect(done.status.tests?.[0]?.stdout).toBe('done\n');
    await eventually('the claimed pod to be deleted', async () => !(await runtime.pods()).some((p) => p.metadata?.name === podName), 30_000);
    // The job went to a runner that had been waiting in the idle pod: no exec started at claim.
    expect(counterSum(await operator!.metrics(), 'coderun_warm_exec_total', { runtime: runtime.name, session: 'ahead' })).toBe(1);
    expect(counterSum(await operator!.metrics(), 'coderun_warm_exec_total', { runtime: runtime.name, session: 'at-claim' })).toBe(0);
  }, 150_000);

  it('every idle pod has a runner waiting for a job in an exec; they end with the operator and come back with the next', async () => {
    const exec = new PodExec(kc);
    // The runner's processes in a pod: PID 1 (`runner idle`) and any `runner run` waiting on stdin.
    const waitingRunners = async (pod: string): Promise<number> => {
      const listed = await exec.run({
        namespace: 'coderun-sandbox',
        pod,
        container: 'sandbox',
        command: ['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done'],
        stdin: Buffer.alloc(0),
        timeoutMs: 10_000,
      });
      return listed.stdout.toString('utf8').split('\n').filter((line) => line.startsWith('/coderun/bin/runner run')).length;
    };
    const idleNames = async () => (await readyIdle()).map((p) => p.metadata?.name ?? '');
    await eventually('one waiting runner in each idle pod', async () => {
      const counts = await Promise.all((await idleNames()).map(waitingRunners));
      return counts.length === 2 && counts.every((n) => n === 1);
    }, 30_000);
    await operator!.stop();
    await eventually('no waiting runner left once the operator is gone', async () => (await Promise.all((await idleNames()).map(waitingRunners))).every((n) => n === 0), 30_000);
    operator = await InstalledOperator.start(kc, { label: 'warm-pool' });
    await eventually('a waiting runner again in each idle pod', async () => (await Promise.all((await idleNames()).map(waitingRunners))).every((n) => n === 1), 30_000);
  }, 120_000);

  it('a new size scales the pool without a roll; new pod settings roll it; a smaller size scales it down', async () => {
    const before = new Set((await readyIdle()).map((p) => p.metadata?.name));
    await runtime.patchSpec({ warmPool: { replicas: 3 } });
    await eventually('3 ready idle pods', async () => (await readyIdle()).length === 3, 90_000);
    const scaled = await readyIdle();
    expect(scaled.filter((p) => before.has(p.metadata?.name))).toHaveLength(before.size);
    expect((await runtime.status())?.pool?.desired).toBe(3);

    const oldHash = scaled[0]?.metadata?.labels?.[SPEC_HASH];
    await runtime.patchSpec({ warmPool: { replicas: 3, resources: SMALL_POOL_REQUESTS } });
    await eventually('3 ready idle pods of the new template and none of the old', async () => {
      const pods = await runtime.pods();
      const fresh = pods.filter((p) => p.metadata?.labels?.[SPEC_HASH] !== oldHash && isReady(p));
      return fresh.length === 3 && pods.length === 3;
    }, 150_000);
    for (const pod of await runtime.pods()) expect(pod.spec?.containers[0]?.resources?.requests).toMatchObject(SMALL_POOL_REQUESTS.requests);

    await runtime.patchSpec({ warmPool: { replicas: 1, resources: SMALL_POOL_REQUESTS } });
    await eventually('one pod left, ready and idle', async () => (await runtime.pods()).length === 1 && (await readyIdle()).length === 1, 60_000);
    await eventually('status.pool to say so', async () => {
      const pool = (await runtime.status())?.pool;
      return pool?.desired === 1 && pool.ready === 1 && pool.idle === 1;
    }, 15_000);
  }, 300_000);

  it('removing warmPool removes its pods and the pool status', async () => {
    await runtime.patchSpec({ warmPool: null });
    await eventually('the pool to be gone', async () => (await runtime.pods()).length === 0, 60_000);
    await eventually('status.pool to be gone', async () => (await runtime.status())?.pool === undefined, 15_000);
  }, 90_000);

  it('deleting the Runtime removes its idle pods at once, while a claimed pod finishes its run', async () => {
    await runtime.patchSpec({ warmPool: { replicas: 2, resources: SMALL_POOL_REQUESTS } });
    await eventually('2 ready idle pods again', async () => (await readyIdle()).length === 2, 90_000);
    await ns.submit('outlives-its-runtime', { runtime: runtime.name, limits: { wallTimeMillis: 15_000 }, source: { inline: 'import time\ntime.sleep(8)\nprint("done")\n' } });
    const running = await ns.waitForRun('outlives-its-runtime', 'running on the warm path', (r) => r.status.phase === 'Running' && r.status.path === 'warm', 30_000);
    const podName = running.status.podName!;
    await runtime.delete();
    await eventually('only the claimed pod left', async () => {
      const pods = await runtime.pods();
      return pods.length === 1 && pods[0]?.metadata?.name === podName;
    }, 30_000);
    const done = await ns.waitForOne('outlives-its-runtime', 60_000);
    expect(done.status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path: 'warm', podName, attempts: 1 });
    await eventually('no pod of the pool left', async () => (await runtime.pods()).length === 0, 30_000);
  }, 180_000);
});
