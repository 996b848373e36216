// The API clients share their connections: requests through the operator's KubeConfig reuse one
// keep-alive connection instead of paying a TCP and TLS handshake each, which @kubernetes/client-node
// 2.0.1 does on its own (see src/kube/kube-config.ts). Counted at a TCP proxy in front of the real
// API server.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { SharedConnectionKubeConfig, connectionPerRequest } from '../../src/kube/kube-config.js';
import { withRequestSignal } from '../../src/kube/request-signal.js';
import { testKubeConfig } from '../support/kube-config.js';
import { proxiedKubeConfig, type TcpProxy } from './machinery-support.js';

const REQUESTS = 30;

describe('the KubeConfig the operator uses', () => {
  const proxies: TcpProxy[] = [];
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
  });

  async function throughProxy(): Promise<{ core: CoreV1Api; proxy: TcpProxy; kubeConfig: KubeConfig }> {
    const { kubeConfig, proxy } = await proxiedKubeConfig(testKubeConfig());
    proxies.push(proxy);
    return { core: kubeConfig.makeApiClient(CoreV1Api), proxy, kubeConfig };
  }

  it('sends 30 requests one after another over one connection', async () => {
    const { core, proxy, kubeConfig } = await throughProxy();
    expect(kubeConfig).toBeInstanceOf(SharedConnectionKubeConfig);
    for (let i = 0; i < REQUESTS; i++) expect((await core.readNamespace({ name: 'default' })).metadata?.name).toBe('default');
    expect(proxy.acceptedConnections()).toBe(1);
  });

  it('opens more connections only for requests in flight at the same time, and reuses them', async () => {
    const { core, proxy } = await throughProxy();
    const burst = (): Promise<unknown[]> => Promise.all(Array.from({ length: 5 }, () => core.readNamespace({ name: 'default' })));
    await burst();
    const afterFirst = proxy.acceptedConnections();
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(afterFirst).toBeLessThanOrEqual(5);
    await burst();
    await burst();
    expect(proxy.acceptedConnections()).toBe(afterFirst);
  });

  it('the library alone opens a connection per request (why the subclass exists: if this fails, drop it)', async () => {
    const { kubeConfig: shared, proxy } = await throughProxy();
    const core = connectionPerRequest(shared).makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) await core.readNamespace({ name: 'default' });
    expect(proxy.acceptedConnections()).toBe(5);
  });

  it('cancels a request made for work whose AbortSignal fires (a reconcile of a stopping controller)', async () => {
    const { core, proxy } = await throughProxy();
    await core.readNamespace({ name: 'default' });
    proxy.freezeConnections(); // the request would hang until a network timeout
    const abort = new AbortController();
    const started = Date.now();
    const pending = withRequestSignal(abort.signal, () => core.readNamespace({ name: 'default' }));
    setTimeout(() => abort.abort(new Error('controller shut down')), 200);
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
