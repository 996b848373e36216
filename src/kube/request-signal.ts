// The AbortSignal of the work an API call is made for. A reconcile runs inside
// withRequestSignal(signal, ...), and every API request made from it, however deep in the edge
// classes, carries that signal (SharedConnectionKubeConfig sets it on the request): when the
// controller shuts down and aborts its reconciles, their API calls are cancelled too, without
// threading a signal through every method of every edge.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

export function withRequestSignal<T>(signal: AbortSignal, work: () => T): T {
  return current.run(signal, work);
}

/** The signal of the work this call belongs to, if any. */
export function requestSignal(): AbortSignal | undefined {
  return current.getStore();
}
