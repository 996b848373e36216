// rest_client_* metrics of the operator's KubeConfig against a real API server: every request
// (typed API calls on shared connections, lists on connections of their own) is counted by method
// and status code, with its latency.
import { CoreV1Api } from '@kubernetes/client-node';
import { listCollection } from '../../src/machinery/kube-list.js';
import { connectionPerRequest } from '../../src/kube/kube-config.js';
import { observeRequests } from '../../src/kube/request-metrics.js';
import { createRegistry } from '../../src/observability/registry.js';
import { createRestClientMetrics } from '../../src/observability/rest-client-metrics.js';
import { testKubeConfig } from '../support/kube-config.js';

/** The value of the exposition line `series` (name and labels exactly as prom-client writes them). */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('client-side request metrics', () => {
  it('counts requests by method and code, with their latency, on shared and per-request connections', async () => {
    const registry = createRegistry({ processMetrics: false });
    const kubeConfig = testKubeConfig();
    observeRequests(kubeConfig, createRestClientMetrics(registry));
    const core = kubeConfig.makeApiClient(CoreV1Api);

    for (let i = 0; i < 3; i++) await core.readNamespace({ name: 'default' });
    await expect(core.readNamespace({ name: 'no-such-namespace-here' })).rejects.toThrow();
    await listCollection(connectionPerRequest(kubeConfig), '/api/v1/namespaces');

    const text = await registry.metrics();
    expect(valueOf(text, 'rest_client_requests_total{code="200",method="GET"}')).toBe(4);
    expect(valueOf(text, 'rest_client_requests_total{code="404",method="GET"}')).toBe(1);
    expect(valueOf(text, 'rest_client_request_duration_seconds_count{verb="GET",code="200"}')).toBe(4);
    const seconds = valueOf(text, 'rest_client_request_duration_seconds_sum{verb="GET",code="200"}');
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(30);
  });
});
