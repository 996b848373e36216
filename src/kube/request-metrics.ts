// Client-side request metrics at the one place every API call passes: the undici Dispatcher the
// KubeConfig hands each request (typed APIs, lists, watches, lease renewals). Exec streams go
// through WebSockets, not fetch, and are not counted.
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

/** One request to the API server as the client saw it: its method and status code ("<error>" when none came). */
export interface RequestSample {
  method: string;
  code: string;
  seconds: number;
}

/** Told of every request (observability's rest_client_* metrics are one). */
export type RestClientObserver = (sample: RequestSample) => void;

export type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type Dispatch = ReturnType<Parameters<Dispatcher['compose']>[0]>;
type Handler = Parameters<Dispatch>[1];

const observers = new WeakMap<KubeConfig, RestClientObserver>();

/** Every later request made with `kubeConfig` (and its connectionPerRequest copies) is reported to `observer`. */
export function observeRequests(kubeConfig: KubeConfig, observer: RestClientObserver): void {
  observers.set(kubeConfig, observer);
}

export function requestObserverOf(kubeConfig: KubeConfig): RestClientObserver | undefined {
  return observers.get(kubeConfig);
}

/** `dispatcher` with each request's method, status code and time to the response headers reported. */
export function observedDispatcher(dispatcher: Dispatcher, observer: RestClientObserver): Dispatcher {
  return dispatcher.compose((dispatch) => (options, handler) => {
    const started = performance.now();
    let reported = false;
    const report = (code: string): void => {
      if (reported) return;
      reported = true;
      observer({ method: options.method, code, seconds: (performance.now() - started) / 1000 });
    };
    const observed: Handler = {
      onRequestStart: (controller, context: unknown) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, statusCode, headers, socket) => {
        report(String(statusCode));
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
      },
      onResponseStart: (controller, statusCode, headers, statusMessage) => {
        // 1xx answers come before the final one.
        if (statusCode >= 200) report(String(statusCode));
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
      },
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => {
        report('<error>');
        handler.onResponseError?.(controller, error);
      },
      onResponseStarted: () => handler.onResponseStarted?.(),
      onBodySent: (chunk) => handler.onBodySent?.(chunk),
      onRequestSent: () => handler.onRequestSent?.(),
    };
    return dispatch(options, observed);
  });
}
