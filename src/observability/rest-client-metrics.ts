import { Counter, Histogram, type Registry } from 'prom-client';

/** One request to the API server as the client saw it: its method and status code ("<error>" when none came). */
export interface RestClientSample {
  method: string;
  code: string;
  seconds: number;
}

export type RestClientObserver = (sample: RestClientSample) => void;

// client-go's names and buckets (k8s.io/client-go/tools/metrics, component-base/metrics/prometheus/restclient),
// so the dashboards and alerts written for Go operators read coderun's too. The latency also has
// the code, which client-go's lacks: a slow 5xx and a slow 200 are different problems.
const latencyBuckets = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/** Registers rest_client_requests_total and rest_client_request_duration_seconds; the result records a sample. */
export function createRestClientMetrics(registry: Registry): RestClientObserver {
  const registers = [registry];
  const requests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Number of HTTP requests to the Kubernetes API server, partitioned by status code and method',
    labelNames: ['code', 'method'],
    registers,
  });
  const duration = new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Request latency to the Kubernetes API server until the response headers, by verb and status code',
    labelNames: ['verb', 'code'],
    buckets: latencyBuckets,
    registers,
  });
  return ({ method, code, seconds }) => {
    requests.inc({ code, method });
    duration.observe({ verb: method, code }, seconds);
  };
}
