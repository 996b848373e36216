import { ApiException, CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Controller } from '../../src/machinery/controller.js';
import { enqueueObject, enqueueOwner } from '../../src/machinery/event-handlers.js';
import { Informer } from '../../src/machinery/informer.js';
import { collectionPath } from '../../src/machinery/kube-list.js';
import { controllerOwnerKey, splitKey } from '../../src/machinery/object-key.js';
import { createMachineryMetrics } from '../../src/observability/machinery-metrics.js';
import { createRegistry } from '../../src/observability/registry.js';
import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';

// A small real controller built from the machinery, in sample-controller's shape: every
// "source" ConfigMap gets a "mirror" ConfigMap it controls, holding the same data. Handlers only
// enqueue keys; the reconcile reads the caches, compares, and acts.

const configMapSchema = z.object({
  metadata: z.object({
    name: z.string(),
    namespace: z.string(),
    uid: z.string(),
    resourceVersion: z.string(),
    labels: z.record(z.string(), z.string()).optional(),
    ownerReferences: z.array(z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional() })).optional(),
  }),
  data: z.record(z.string(), z.string()).optional(),
});
type ConfigMap = z.infer<typeof configMapSchema>;

const namespace = 'default';

describe('a controller built from the machinery, against a real API server', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const run = randomBytes(4).toString('hex');
  const labels = (role: string) => ({ 'machinery-test': run, role });
  const registry = createRegistry({ processMetrics: false });
  const metrics = createMachineryMetrics(registry);
  const path = collectionPath({ group: '', version: 'v1', plural: 'configmaps', namespace });
  const sources = new Informer({ kubeConfig: kc, path, schema: configMapSchema, labelSelector: `machinery-test=${run},role=source`, name: 'sources' });
  const mirrors = new Informer({ kubeConfig: kc, path, schema: configMapSchema, labelSelector: `machinery-test=${run},role=mirror`, name: 'mirrors' });
  const failuresToInject = new Map<string, number>([[`${namespace}/flaky`, 2]]);

  const mirrorOf = (source: ConfigMap): V1ConfigMap => ({
    metadata: {
      name: `${source.metadata.name}-mirror`,
      namespace,
      labels: labels('mirror'),
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: source.metadata.name, uid: source.metadata.uid, controller: true }],
    },
    data: source.data ?? {},
  });

  const controller = new Controller({
    name: 'mirror',
    workers: 2,
    metrics,
    reconcile: async (key) => {
      const left = failuresToInject.get(key) ?? 0;
      if (left > 0) {
        failuresToInject.set(key, left - 1);
        throw new Error(`injected failure for ${key}`);
      }
      const { name } = splitKey(key);
      const source = sources.get(key);
      const mirror = mirrors.get(`${namespace}/${name}-mirror`);
      if (!source) {
        // No garbage collector runs next to a bare API server: delete the mirror ourselves.
        if (mirror) await core.deleteNamespacedConfigMap({ name: mirror.metadata.name, namespace }).catch(ignore(404));
        return;
      }
      const desired = mirrorOf(source);
      if (!mirror) {
        await core.createNamespacedConfigMap({ namespace, body: desired }).catch(ignore(409));
        return;
      }
      if (JSON.stringify(mirror.data ?? {}) !== JSON.stringify(desired.data)) {
        await core.replaceNamespacedConfigMap({
          name: mirror.metadata.name,
          namespace,
          body: { ...desired, metadata: { ...desired.metadata, resourceVersion: mirror.metadata.resourceVersion } },
        });
      }
    },
  });

  const put = async (name: string, role: string, data: Record<string, string>): Promise<void> => {
    const body = { metadata: { name, namespace, labels: labels(role) }, data };
    const existing = await core.readNamespacedConfigMap({ name, namespace }).catch(ignore(404));
    if (existing) await core.replaceNamespacedConfigMap({ name, namespace, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    else await core.createNamespacedConfigMap({ namespace, body });
  };
  const mirrorData = async (name: string): Promise<Record<string, string> | undefined> =>
    (await core.readNamespacedConfigMap({ name: `${name}-mirror`, namespace }).catch(ignore(404)))?.data;
  const sample = async (series: string): Promise<number> => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  beforeAll(async () => {
    sources.addHandlers(enqueueObject(controller.queue));
    mirrors.addHandlers(enqueueOwner(controller.queue, (m: ConfigMap) => controllerOwnerKey(m, { group: '', kind: 'ConfigMap' })));
    await Promise.all([sources.start(), mirrors.start()]);
    controller.start();
  });

  afterAll(async () => {
    await controller.stop(5000);
    await Promise.all([sources.stop(), mirrors.stop()]);
    const leftovers = await core.listNamespacedConfigMap({ namespace, labelSelector: `machinery-test=${run}` });
    await Promise.all(leftovers.items.map((cm) => core.deleteNamespacedConfigMap({ name: cm.metadata?.name ?? '', namespace }).catch(ignore(404))));
  });

  it('creates a mirror for every source, and follows a change of the source', async () => {
    for (const name of ['s1', 's2', 's3', 's4', 's5']) await put(name, 'source', { v: name });
    for (const name of ['s1', 's2', 's3', 's4', 's5']) await eventually(`mirror of ${name}`, async () => (await mirrorData(name))?.v === name);
    await put('s3', 'source', { v: 'changed' });
    await eventually('mirror of s3 to follow', async () => (await mirrorData('s3'))?.v === 'changed');
  }, 30_000);

  it('puts a mirror back when someone edits it: the mirror event reaches its owner through the ownerReference', async () => {
    await put('s1', 'source', { v: 'truth' });
    await eventually('mirror of s1', async () => (await mirrorData('s1'))?.v === 'truth');
    const mirror = await core.readNamespacedConfigMap({ name: 's1-mirror', namespace });
    await core.replaceNamespacedConfigMap({ name: 's1-mirror', namespace, body: { ...mirror, data: { v: 'tampered' } } });
    await eventually('the mirror to be restored', async () => (await mirrorData('s1'))?.v === 'truth');
  }, 30_000);

  it('deletes the mirror when the source goes', async () => {
    await core.deleteNamespacedConfigMap({ name: 's2', namespace });
    await eventually('mirror of s2 to go', async () => (await mirrorData('s2')) === undefined);
  }, 30_000);

  it('retries a failing reconcile with backoff until it succeeds, and counts the errors', async () => {
    await put('flaky', 'source', { v: 'eventually' });
    await eventually('mirror of flaky', async () => (await mirrorData('flaky'))?.v === 'eventually');
    expect(await sample('controller_runtime_reconcile_errors_total{controller="mirror"}')).toBe(2);
    expect(await sample('controller_runtime_reconcile_total{controller="mirror",result="error"}')).toBe(2);
    expect(await sample('controller_runtime_reconcile_total{controller="mirror",result="success"}')).toBeGreaterThan(5);
    expect(controller.queue.numRequeues(`${namespace}/flaky`)).toBe(0);
    await eventually('the queue to drain', async () => (await sample('workqueue_depth{name="mirror"}')) === 0);
  }, 30_000);
});

function ignore(code: number): (err: unknown) => undefined {
  return (err) => {
    if (err instanceof ApiException && err.code === code) return undefined;
    throw err;
  };
}
