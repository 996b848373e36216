import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { randomBytes, randomUUID } from 'node:crypto';
import { claimWarmPod } from '../../src/controllers/pool/warm-claim.js';
import { idlePoolLabels, POOL_LABELS } from '../../src/sandbox/pool-labels.js';
import { PoolApi } from '../../src/kube/pool-api.js';
import { createDomainMetrics } from '../../src/observability/domain-metrics.js';
import { createRegistry } from '../../src/observability/registry.js';
import { testKubeConfig } from '../support/kube-config.js';

// Claims of warm pool pods against a real API server: the resourceVersion-guarded label change
// must let exactly one of many concurrent claimers win each pod. The pods are plain pods bound to
// a node that does not exist, so no kubelet touches them on any cluster; the test marks them
// Running and Ready itself, as a kubelet would.

const RUNTIME = 'claim-test';
const SPEC_HASH = 'spec-1';
const POOL_SIZE = 10;
const CLAIMERS = 50;

describe('claiming warm pool pods against a real API server', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `claim-${randomBytes(4).toString('hex')}`;
  const pool = new PoolApi(kc, namespace);

  const poolPod = (name: string): V1Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { ...idlePoolLabels(RUNTIME), [POOL_LABELS.specHash]: SPEC_HASH } },
    spec: {
      nodeName: 'no-such-node',
      automountServiceAccountToken: false,
      containers: [{ name: 'sandbox', image: 'coderun.local/python3:dev' }],
    },
  });

  async function makeReadyPool(): Promise<void> {
    await Promise.all(
      Array.from({ length: POOL_SIZE }, async (_, i) => {
        const name = `pool-${i}`;
        await core.createNamespacedPod({ namespace, body: poolPod(name) });
        await core.replaceNamespacedPodStatus({
          name,
          namespace,
          body: {
            ...(await core.readNamespacedPod({ name, namespace })),
            status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
          },
        });
      }),
    );
  }

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // The API-only cluster runs no controller that creates the default ServiceAccount.
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }).catch(() => undefined);
    await makeReadyPool();
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it(`${CLAIMERS} concurrent claims for ${POOL_SIZE} idle pods: ${POOL_SIZE} winners, no pod claimed twice`, async () => {
    const metrics = createDomainMetrics(createRegistry({ processMetrics: false }));
    const listPool = async () => (await core.listNamespacedPod({ namespace })).items;
    // Every claimer starts from the same snapshot, as workers reading one informer cache do.
    const snapshot = await listPool();
    expect(snapshot.filter((p) => p.status?.phase === 'Running')).toHaveLength(POOL_SIZE);

    const claim = async (uid: string): Promise<string | undefined> => {
      let pods = snapshot;
      // What a reconcile does: claim, and on lost claims look again at fresher data; cold when no
      // idle pod is left.
      for (let round = 0; round < 20; round++) {
        const start = await claimWarmPod(
          { pods: { list: () => pods }, sessions: { has: () => false }, pool, metrics },
          { run: { namespace: 'default', name: `run-${uid.slice(0, 8)}`, uid }, runtimeName: RUNTIME, attempt: 1, poolSpecHash: SPEC_HASH, waitedMs: 0, warmWaitMs: 0 },
        );
        if (start.kind === 'claimed') return start.pod.metadata?.name;
        if (start.kind === 'cold') return undefined;
        pods = await listPool();
      }
      throw new Error(`claimer ${uid} neither won nor ran out of idle pods in 20 rounds`);
    };

    const uids: string[] = Array.from({ length: CLAIMERS }, () => randomUUID());
    const outcomes = await Promise.all(uids.map(async (uid) => ({ uid, pod: await claim(uid) })));
    const winners = outcomes.filter((o): o is { uid: string; pod: string } => o.pod !== undefined);

    expect(winners).toHaveLength(POOL_SIZE);
    expect(new Set(winners.map((w) => w.pod)).size).toBe(POOL_SIZE);
    // Each pod carries exactly the claim of the one claimer that was told it won.
    const final = await listPool();
    for (const w of winners) {
      const labels = final.find((p) => p.metadata?.name === w.pod)?.metadata?.labels ?? {};
      expect(labels[POOL_LABELS.state]).toBe('claimed');
      expect(labels['coderun.dev/run-uid']).toBe(w.uid);
    }
    expect(final.filter((p) => p.metadata?.labels?.[POOL_LABELS.state] === 'idle')).toHaveLength(0);
    // The race really happened: claimers lost claims to each other.
    const conflicts = (await metrics.claimConflicts.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(conflicts).toBeGreaterThan(0);
  }, 60_000);

  it('a claim made on an outdated resourceVersion is refused', async () => {
    const name = 'stale-claim';
    await core.createNamespacedPod({ namespace, body: poolPod(name) });
    const seen = await core.readNamespacedPod({ name, namespace });
    const staleVersion = seen.metadata?.resourceVersion ?? '';
    const first = await pool.claimPod({ podName: name, resourceVersion: staleVersion, labels: { [POOL_LABELS.state]: 'claimed', 'coderun.dev/run-uid': 'first' }, annotations: {} });
    expect(first?.metadata?.labels?.['coderun.dev/run-uid']).toBe('first');
    const second = await pool.claimPod({ podName: name, resourceVersion: staleVersion, labels: { [POOL_LABELS.state]: 'claimed', 'coderun.dev/run-uid': 'second' }, annotations: {} });
    expect(second).toBeUndefined();
    const after = await core.readNamespacedPod({ name, namespace });
    expect(after.metadata?.labels?.['coderun.dev/run-uid']).toBe('first');
  });
});
