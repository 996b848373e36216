import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The operator's one metrics registry. Process metrics (CPU, memory, event loop lag, open fds)
 * come with it; every other metric family is registered by createMachineryMetrics and
 * createDomainMetrics on the same registry. Tests make their own registry so they never share
 * counters.
 */
export function createRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
