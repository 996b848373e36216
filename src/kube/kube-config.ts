// The KubeConfig every coderun process uses. @kubernetes/client-node 2.0.1 builds a new undici
// Agent for every request (KubeConfig.applySecurityAuthentication), so no connection is ever
// reused: each API call pays a TCP and TLS handshake with client-certificate checks on both ends
// (measured: 30 GETs leave 30 connections open; the operator spent more CPU in TLS set-up than in
// reconciling). This subclass keeps the first Agent of each context and hands it to every later
// request, so calls share keep-alive connections as client-go's do. Credentials that are headers
// (tokens) are still applied per request; only the transport is shared.
//
// Every request also carries the AbortSignal of the reconcile it is made for (request-signal.ts).
//
// Long-lived and safety-net traffic (informer lists and watches, lease renewals) keeps a
// connection of its own (connectionPerRequest): a relist exists for the case where a connection
// went silently dead, so it must not wait behind one taken from the shared pool.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { requestSignal } from './request-signal.js';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export class SharedConnectionKubeConfig extends KubeConfig {
  private readonly dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const signal = requestSignal();
    if (signal !== undefined) context.setSignal(signal);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const key = `${this.getCurrentCluster()?.name ?? ''}\u0000${this.getCurrentUser()?.name ?? ''}`;
    const shared = this.dispatchers.get(key);
    if (shared === undefined) this.dispatchers.set(key, fresh);
    else context.setDispatcher(shared);
  }
}

/** A copy of `kubeConfig` whose every request opens its own connection (the library's behaviour). */
export function connectionPerRequest(kubeConfig: KubeConfig): KubeConfig {
  const copy = new KubeConfig();
  copy.loadFromOptions({ clusters: kubeConfig.clusters, users: kubeConfig.users, contexts: kubeConfig.contexts, currentContext: kubeConfig.currentContext });
  return copy;
}

/** The kubeconfig from KUBECONFIG, ~/.kube/config or the in-cluster service account. */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new SharedConnectionKubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** The kubeconfig in the file at `path`. */
export function kubeConfigFromFile(path: string): KubeConfig {
  const kubeConfig = new SharedConnectionKubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}
