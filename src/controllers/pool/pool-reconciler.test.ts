import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { RuntimeStatus } from '../../crds/runtime.js';
import { createDomainMetrics } from '../../observability/domain-metrics.js';
import { createRegistry } from '../../observability/registry.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../sandbox/pod.js';
import { PYTHON3 } from '../../sandbox/test-fixtures.js';
import { poolTemplateHash, type ObservedRuntime } from './pool-pod.js';
import { poolReconciler } from './pool-reconciler.js';

// The reconciler's I/O around planPool: what it creates and deletes when its cache lags behind its
// own writes, which uids new pods get, and what a failed create leaves behind.

const config = { ...DEFAULT_SANDBOX_CONFIG, namespace: 'sandbox', uidRange: { start: 1000, size: 1000 } };
const runtime = (replicas: number, image = PYTHON3.image): ObservedRuntime => ({
  metadata: { name: 'python3', uid: 'u' },
  spec: { ...PYTHON3, image, warmPool: { replicas } },
});

/** A pod as the cache would show it after the create, Ready when `ready`. */
function cached(pod: V1Pod, ready = true): V1Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, resourceVersion: `rv-${pod.metadata?.name ?? ''}`, creationTimestamp: new Date(0) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}
const claimed = (pod: V1Pod): V1Pod => ({ ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, 'coderun.dev/pool-state': 'claimed' } } });
const coldPod = (uid: number): V1Pod => ({ metadata: { name: `cold-${uid}`, labels: { 'app.kubernetes.io/component': 'sandbox' } }, spec: { containers: [], securityContext: { runAsUser: uid } } });
const uidOf = (pod: V1Pod) => pod.spec?.securityContext?.runAsUser;

function setup(initial: { runtime: ObservedRuntime | undefined; pods?: V1Pod[]; maxStarting?: number }) {
  const state = { runtime: initial.runtime, pods: initial.pods ?? [] };
  const created: V1Pod[] = [];
  const deleted: string[] = [];
  const statuses: Array<RuntimeStatus['pool'] | null> = [];
  let failCreates = 0;
  let clock = 0;
  let suffix = 0;
  const reconcile = poolReconciler({
    runtimes: { get: () => state.runtime },
    pods: { list: () => state.pods },
    api: {
      createPod: async (pod) => {
        if (failCreates > 0) {
          failCreates--;
          throw new Error('exceeded quota');
        }
        created.push(pod);
      },
      deleteUnclaimedPod: async (name) => {
        deleted.push(name);
        return true;
      },
      patchRuntimePool: async (_name, pool) => {
        statuses.push(pool);
      },
    },
    metrics: createDomainMetrics(createRegistry({ processMetrics: false })),
    sandboxConfig: config,
    maxStarting: initial.maxStarting ?? 0,
    logger: pino({ level: 'silent' }),
    now: () => clock,
    nameSuffix: () => `s${suffix++}`,
  });
  const signal = new AbortController().signal;
  return {
    state,
    created,
    deleted,
    statuses,
    failNextCreates: (n: number) => (failCreates = n),
    tick: (ms: number) => (clock += ms),
    reconcile: () => reconcile('python3', { signal }),
  };
}

describe('poolReconciler', () => {
  it('fills a new pool with pods of the current template, each with a uid no sandbox pod has', async () => {
    const cold = [coldPod(1000), coldPod(1001)];
    const t = setup({ runtime: runtime(3), pods: cold });
    await t.reconcile();
    expect(t.created.map((p) => p.metadata?.name)).toEqual(['pool-python3-s0', 'pool-python3-s1', 'pool-python3-s2']);
    expect(t.created.map((p) => p.metadata?.labels?.['coderun.dev/pool-spec'])).toEqual(Array(3).fill(poolTemplateHash(runtime(3), config)));
    const uids = t.created.map(uidOf);
    expect(new Set([...uids, 1000, 1001]).size).toBe(5);
    expect(t.statuses).toEqual([{ desired: 3, ready: 0, idle: 0 }]);
  });

  it('a stale cache (its own creates not seen yet) creates nothing more, and new pods never reuse an unseen pod\'s uid', async () => {
    const t = setup({ runtime: runtime(2) });
    await t.reconcile();
    await t.reconcile();
    expect(t.created).toHaveLength(2);
    // The Runtime grows before the cache shows the first two: the third pod's uid differs from theirs.
    t.state.runtime = runtime(3);
    await t.reconcile();
    expect(t.created).toHaveLength(3);
    expect(new Set(t.created.map(uidOf)).size).toBe(3);
  });

  it('a claimed pod gets a replacement once the cache shows the claim', async () => {
    const t = setup({ runtime: runtime(2) });
    await t.reconcile();
    t.state.pods = t.created.map((p) => cached(p));
    await t.reconcile();
    expect(t.created).toHaveLength(2);
    t.state.pods = [claimed(t.state.pods[0]!), t.state.pods[1]!];
    await t.reconcile();
    expect(t.created).toHaveLength(3);
    expect(t.deleted).toEqual([]);
  });

  it('a new template: the old pods are deleted once, and the new ones created once, however stale the cache', async () => {
    const t = setup({ runtime: runtime(2) });
    await t.reconcile();
    const old = t.created.map((p) => cached(p));
    t.state.pods = old;
    t.state.runtime = runtime(2, 'python:3.13-slim');
    await t.reconcile();
    await t.reconcile();
    expect(t.deleted).toEqual(old.map((p) => p.metadata?.name));
    expect(t.created.slice(2).map((p) => p.spec?.containers[0]?.image)).toEqual(['python:3.13-slim', 'python:3.13-slim']);
    expect(t.created).toHaveLength(4);
  });

  it('a failed create stops the rest (slow start); the next reconcile creates what is missing', async () => {
    const t = setup({ runtime: runtime(5) });
    t.failNextCreates(1);
    await expect(t.reconcile()).rejects.toThrow('exceeded quota');
    expect(t.created).toHaveLength(0);
    await t.reconcile();
    expect(t.created).toHaveLength(5);
  });

  it('the Runtime deleted: its unclaimed pods go, its claimed pod stays with its run', async () => {
    const t = setup({ runtime: runtime(2) });
    await t.reconcile();
    t.state.pods = [claimed(cached(t.created[0]!)), cached(t.created[1]!)];
    t.state.runtime = undefined;
    await t.reconcile();
    expect(t.deleted).toEqual([t.created[1]?.metadata?.name]);
  });

  it('writes status.pool at most once a second, and asks to be requeued for the write it held back', async () => {
    const t = setup({ runtime: runtime(1) });
    await t.reconcile();
    t.state.pods = t.created.map((p) => cached(p, false));
    t.tick(300);
    const held = await t.reconcile();
    expect(t.statuses).toHaveLength(1);
    expect(held).toEqual({ requeueAfterMs: 700 });
    t.tick(700);
    await t.reconcile();
    expect(t.statuses).toEqual([
      { desired: 1, ready: 0, idle: 0 },
      { desired: 1, ready: 0, idle: 0 },
    ]);
  });

  it('starts at most maxStarting pool pods at once, counting every pool\'s, and asks to look again for the rest', async () => {
    const otherPoolStarting: V1Pod = { metadata: { name: 'pool-cpp-x', labels: { 'app.kubernetes.io/component': 'pool', 'coderun.dev/runtime': 'cpp' } }, spec: { containers: [] }, status: { phase: 'Pending' } };
    const t = setup({ runtime: runtime(5), pods: [otherPoolStarting], maxStarting: 3 });
    expect(await t.reconcile()).toEqual({ requeueAfterMs: 250 });
    expect(t.created).toHaveLength(2);
    // Its own creates count while the cache does not show them: nothing more yet.
    await t.reconcile();
    expect(t.created).toHaveLength(2);
    // Two became Ready and the other pool's pod is gone: three more may start.
    t.state.pods = t.created.map((p) => cached(p));
    const after = await t.reconcile();
    expect(t.created).toHaveLength(5);
    expect(after?.requeueAfterMs).not.toBe(250);
  });
});
