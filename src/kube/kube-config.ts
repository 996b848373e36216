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
//
// Both report every request to the observer observeRequests gave them (request-metrics.ts).
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { observedDispatcher, observeRequests, requestObserverOf, type Dispatcher } from './request-metrics.js';
import { requestSignal } from './request-signal.js';

export class SharedConnectionKubeConfig extends KubeConfig {
  private readonly dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const signal = requestSignal();
    if (signal !== undefined) context.setSignal(signal);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const key = `${this.getCurrentCluster()?.name ?? ''}\u0000${this.getCurrentUser()?.name ?? ''}`;
    let shared = this.dispatchers.get(key);
    if (shared === undefined) {
      const observer = requestObserverOf(this);
      shared = observer === undefined ? fresh : observedDispatcher(fresh, observer);
      this.dispatchers.set(key, shared);
    }
    context.setDispatcher(shared);
  }
}

/** A connection per request, as the library does; reported like the shared connections. */
class PerRequestKubeConfig extends KubeConfig {
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const observer = requestObserverOf(this);
    const fresh = context.getDispatcher();
    if (observer !== undefined && fresh !== undefined) context.setDispatcher(observedDispatcher(fresh, observer));
  }
}

/** A copy of `kubeConfig` whose every request opens its own connection (the library's behaviour). */
export function connectionPerRequest(kubeConfig: KubeConfig): KubeConfig {
  const copy = new PerRequestKubeConfig();
  copy.loadFromOptions({ clusters: kubeConfig.clusters, users: kubeConfig.users, contexts: kubeConfig.contexts, currentContext: kubeConfig.currentContext });
  const observer = requestObserverOf(kubeConfig);
  if (observer !== undefined) observeRequests(copy, observer);
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
