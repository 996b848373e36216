import { Counter, Histogram, type Registry } from 'prom-client';

/** How an admission request ended: admitted, refused for a reason given to the user, or failed. */
export type WebhookResult = 'allowed' | 'denied' | 'error';

export interface WebhookMetrics {
  /** Admission requests by resource (coderuns, runtimes) and result. */
  requests: Counter<'resource' | 'result'>;
  /** Time from reading a request to answering it, by resource. */
  duration: Histogram<'resource'>;
}

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  return {
    requests: new Counter({
      name: 'coderun_webhook_requests_total',
      help: 'Admission requests answered by this replica, by resource and result (allowed, denied, error).',
      labelNames: ['resource', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'coderun_webhook_request_duration_seconds',
      help: 'Time to answer an admission request, by resource.',
      labelNames: ['resource'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
