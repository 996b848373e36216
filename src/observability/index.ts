export { createRegistry } from './registry.js';
export {
  createMachineryMetrics,
  type MachineryMetrics,
  type WorkQueueMetrics,
  type WorkQueueProbe,
  type ControllerMetrics,
  type LeaderElectionMetrics,
  type InformerMetrics,
} from './machinery-metrics.js';
export { createDomainMetrics, type DomainMetrics, type PoolPodState } from './domain-metrics.js';
export { createObservabilityServer, type ObservabilityServer, type ObservabilityServerOptions, type Readiness } from './http-server.js';
export { createLogger, codeRunLogger, type Logger, type LoggerOptions } from './logger.js';
