import type { Registry } from 'prom-client';
import { registerBuildInfo } from './build-info.js';
import { createDomainMetrics, type DomainMetrics, type DomainMetricsOptions } from './domain-metrics.js';
import { createMachineryMetrics, type MachineryMetrics } from './machinery-metrics.js';
import { createRegistry } from './registry.js';
import { createRestClientMetrics, type RestClientObserver } from './rest-client-metrics.js';
import { createWebhookMetrics, type WebhookMetrics } from './webhook-metrics.js';

export interface OperatorMetrics {
  registry: Registry;
  machinery: MachineryMetrics;
  domain: DomainMetrics;
  restClient: RestClientObserver;
  webhook: WebhookMetrics;
}

/** Every metric family the operator serves, on one registry: what /metrics shows and the README's table lists. */
export function createOperatorMetrics(options: DomainMetricsOptions & { processMetrics?: boolean } = {}): OperatorMetrics {
  const registry = createRegistry({ processMetrics: options.processMetrics ?? true });
  const metrics = {
    registry,
    machinery: createMachineryMetrics(registry),
    domain: createDomainMetrics(registry, options),
    restClient: createRestClientMetrics(registry),
    webhook: createWebhookMetrics(registry),
  };
  registerBuildInfo(registry);
  return metrics;
}
