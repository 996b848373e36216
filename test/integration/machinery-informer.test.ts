import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { collectionPath } from '../../src/machinery/kube-list.js';
import { enqueueObject } from '../../src/machinery/event-handlers.js';
import { Informer } from '../../src/machinery/informer.js';
import { WorkQueue } from '../../src/machinery/work-queue.js';
import { createMachineryMetrics, type MachineryMetrics } from '../../src/observability/machinery-metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { createRegistry } from '../../src/observability/registry.js';
import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { proxiedKubeConfig, type TcpProxy } from './machinery-support.js';

const configMapSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: z.object({
    name: z.string(),
    namespace: z.string(),
    resourceVersion: z.string(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  data: z.record(z.string(), z.string()).optional(),
});
type ConfigMap = z.infer<typeof configMapSchema>;

const namespace = 'default';
const label = 'machinery-test';

interface Recorded {
  events: string[];
}

function record(informer: Informer<ConfigMap>): Recorded {
  const recorded: Recorded = { events: [] };
  informer.addHandlers({
    onAdd: (o) => recorded.events.push(`add ${o.metadata.name}`),
    onUpdate: (o, old) => recorded.events.push(`update ${o.metadata.name} ${old.data?.v ?? ''}->${o.data?.v ?? ''}`),
    onDelete: (o) => recorded.events.push(`delete ${o.metadata.name}`),
  });
  return recorded;
}

describe('Informer against a real API server', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const run = randomBytes(4).toString('hex');
  const selector = `${label}=${run}`;
  const created = new Set<string>();
  const informers: Informer<ConfigMap>[] = [];
  const proxies: TcpProxy[] = [];

  const put = async (name: string, value: string, labelled = true): Promise<void> => {
    created.add(name);
    const body = { metadata: { name, namespace, labels: labelled ? { [label]: run } : { [label]: 'someone-else' } }, data: { v: value } };
    try {
      await core.replaceNamespacedConfigMap({ name, namespace, body });
    } catch {
      await core.createNamespacedConfigMap({ namespace, body });
    }
  };
  const remove = (name: string) => core.deleteNamespacedConfigMap({ name, namespace });
  const serverState = async (): Promise<string[]> => {
    const list = await core.listNamespacedConfigMap({ namespace, labelSelector: selector });
    return list.items.map((cm) => `${cm.metadata?.name}=${cm.data?.v}`).sort();
  };
  const cacheState = (informer: Informer<ConfigMap>): string[] => informer.list(namespace).map((cm) => `${cm.metadata.name}=${cm.data?.v}`).sort();

  function newInformer(kubeConfig: KubeConfig, metrics?: MachineryMetrics, extra: { relistIntervalMs?: number; syncTimeoutMs?: number } = {}): Informer<ConfigMap> {
    const informer = new Informer({
      kubeConfig,
      path: collectionPath({ group: '', version: 'v1', plural: 'configmaps', namespace }),
      labelSelector: selector,
      schema: configMapSchema,
      name: `configmaps-${run}`,
      restartBackoff: { initialMs: 200, maxMs: 2000 },
      metrics: metrics?.informer,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      ...extra,
    });
    informers.push(informer);
    return informer;
  }

  /** A kubeconfig that reaches the API server through a proxy the test can break. */
  async function behindProxy(): Promise<{ kubeConfig: KubeConfig; proxy: TcpProxy }> {
    const proxied = await proxiedKubeConfig(kc);
    proxies.push(proxied.proxy);
    return proxied;
  }

  const restartsFor = async (metrics: MachineryMetrics, reason: string): Promise<number> =>
    (await metrics.informer.restarts.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all([...created].map((name) => remove(name).catch(() => undefined)));
    created.clear();
  });

  it('lists and watches only labelled ConfigMaps: add, update, delete, and moving out of the selector', async () => {
    await put('pre', '1');
    await put('unlabelled', '1', false);
    const informer = newInformer(kc);
    const recorded = record(informer);
    const queue = new WorkQueue({ name: 'informer-test' });
    informer.addHandlers(enqueueObject(queue));
    await informer.start();

    // The unlabelled object is absent from the first list: the selector reached the list call too.
    expect(informer.hasSynced()).toBe(true);
    expect(cacheState(informer)).toEqual(['pre=1']);
    expect(recorded.events).toEqual(['add pre']);

    await put('a', '1');
    await eventually('add of a', () => informer.get(`${namespace}/a`) !== undefined);
    await put('a', '2');
    await eventually('update of a', () => informer.get(`${namespace}/a`)?.data?.v === '2');
    await remove('a');
    await eventually('delete of a', () => informer.get(`${namespace}/a`) === undefined);
    await put('unlabelled', '2', false);
    await put('pre', '2', false); // relabelled: leaves the selection
    await eventually('pre leaving the selection', () => informer.get(`${namespace}/pre`) === undefined);

    expect(recorded.events).toEqual(['add pre', 'add a', 'update a 1->2', 'delete a', 'delete pre']);
    expect(cacheState(informer)).toEqual([]);
    const keys: string[] = [];
    while (queue.len() > 0) {
      const key = await queue.get();
      if (key) keys.push(key);
    }
    expect(keys.sort()).toEqual([`${namespace}/a`, `${namespace}/pre`]);
    queue.shutDown();
  }, 30_000);

  it('restarts by itself after its connections are reset and refused, and ends with the final state', async () => {
    const metrics = createMachineryMetrics(createRegistry({ processMetrics: false }));
    const { kubeConfig, proxy } = await behindProxy();
    await put('stays', '1');
    await put('changes', '1');
    await put('goes', '1');
    const informer = newInformer(kubeConfig, metrics);
    const recorded = record(informer);
    await informer.start();
    expect(cacheState(informer)).toEqual(['changes=1', 'goes=1', 'stays=1']);

    // The network drops: every connection resets and new ones are refused for two seconds.
    proxy.setRefusing(true);
    proxy.breakConnections();
    await put('changes', '2');
    await remove('goes');
    await put('new', '1');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(cacheState(informer)).toEqual(['changes=1', 'goes=1', 'stays=1']); // last known state while cut off
    proxy.setRefusing(false);

    await eventually('the informer to converge on the server state', async () => JSON.stringify(cacheState(informer)) === JSON.stringify(await serverState()), 15_000);
    expect(cacheState(informer)).toEqual(['changes=2', 'new=1', 'stays=1']);
    expect(recorded.events).toEqual(expect.arrayContaining(['update changes 1->2', 'delete goes', 'add new']));
    expect(await restartsFor(metrics, 'error')).toBeGreaterThanOrEqual(1);

    // And it keeps watching afterwards.
    await put('after', '1');
    await eventually('an object created after recovery', () => informer.get(`${namespace}/after`) !== undefined);
  }, 30_000);

  it('notices changes behind a silently stalled watch through its periodic relist', async () => {
    const metrics = createMachineryMetrics(createRegistry({ processMetrics: false }));
    const { kubeConfig, proxy } = await behindProxy();
    await put('x', '1');
    const informer = newInformer(kubeConfig, metrics, { relistIntervalMs: 2000 });
    const recorded = record(informer);
    await informer.start();
    proxy.freezeConnections(); // the watch stays open but delivers nothing (well under the client's 30 s idle timeout)
    const frozenAt = Date.now();
    await remove('x');
    await put('y', '1');
    await eventually('the relist to catch up', () => informer.get(`${namespace}/y`) !== undefined && informer.get(`${namespace}/x`) === undefined, 10_000);
    expect(Date.now() - frozenAt).toBeLessThan(10_000);
    // A relist reports what it finds first and what vanished after, hence the sort.
    expect(recorded.events.sort()).toEqual(['add x', 'add y', 'delete x']);
    expect(await restartsFor(metrics, 'relist')).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('start() fails with a message naming the path when the API server cannot be reached', async () => {
    const { kubeConfig, proxy } = await behindProxy();
    proxy.setRefusing(true);
    const informer = newInformer(kubeConfig, undefined, { syncTimeoutMs: 1500 });
    await expect(informer.start()).rejects.toThrow(`could not list /api/v1/namespaces/${namespace}/configmaps`);
    expect(informer.hasSynced()).toBe(false);
  }, 30_000);
});
