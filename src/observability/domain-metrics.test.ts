import { createDomainMetrics } from './domain-metrics.js';
import { createRegistry } from './registry.js';

async function samples(registry: ReturnType<typeof createRegistry>, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [Object.values(v.labels).join('/'), v.value]));
}

describe('the gauges of unfinished runs', () => {
  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

  it('count the tracked runs at each scrape by runtime and phase, per bounded namespace, with the oldest age', async () => {
    const registry = createRegistry({ processMetrics: false });
    const metrics = createDomainMetrics(registry, { namespaceLabelLimit: 1 });
    let runs = [
      { namespace: 'cs101', runtime: 'python3', phase: 'Pending' as const, since: ago(30) },
      { namespace: 'cs101', runtime: 'python3', phase: 'Pending' as const, since: ago(90) },
      { namespace: 'cs102', runtime: 'python3', phase: 'Running' as const, since: ago(5) },
      { namespace: 'cs103', runtime: 'cpp', phase: 'Running' as const, since: ago(10) },
    ];
    const stop = metrics.trackActiveRuns(() => runs);
    expect(await samples(registry, 'coderun_runs_active')).toEqual({ 'python3/Pending': 2, 'python3/Running': 1, 'cpp/Running': 1 });
    expect(await samples(registry, 'coderun_namespace_runs_active')).toEqual({ 'cs101/Pending': 2, '_other/Running': 2 });
    const oldest = await samples(registry, 'coderun_runs_oldest_active_seconds');
    expect(oldest['python3/Pending']).toBeGreaterThanOrEqual(90);
    expect(oldest['python3/Pending']).toBeLessThan(100);
    expect(oldest['cpp/Running']).toBeGreaterThanOrEqual(10);

    runs = runs.slice(3);
    expect(await samples(registry, 'coderun_runs_active')).toEqual({ 'cpp/Running': 1 });
    stop();
    expect(await samples(registry, 'coderun_runs_active')).toEqual({});
    expect(await samples(registry, 'coderun_runs_oldest_active_seconds')).toEqual({});
  });

  it('start a Runtime\'s series at 0 and observe a pool pod\'s ready time once', async () => {
    const registry = createRegistry({ processMetrics: false });
    const metrics = createDomainMetrics(registry, { failureCauses: ['PodLost', 'RunnerFailed'] });
    const pod = { metadata: { uid: 'u1', creationTimestamp: new Date('2026-01-01T00:00:00Z') }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-01-01T00:00:04Z') }] } };
    metrics.observeRuntime('cpp', undefined);
    metrics.observeRuntime('python3', [pod]);
    metrics.runDurationSeconds.observe({ runtime: 'python3', path: 'warm' }, 1.5);
    metrics.observeRuntime('python3', [pod]);
    const text = await registry.metrics();
    expect(text).toContain('coderun_run_duration_seconds_count{runtime="cpp",path="cold"} 0');
    expect(text).toContain('coderun_run_queue_duration_seconds_count{runtime="cpp",path="warm"} 0');
    expect(text).toContain('coderun_system_errors_total{runtime="cpp",cause="RunnerFailed"} 0');
    expect(text).toContain('coderun_run_retries_total{runtime="cpp",cause="PodLost"} 0');
    expect(text).not.toContain('coderun_warm_pool_claim_misses_total{runtime="cpp"}');
    expect(text).toContain('coderun_warm_pool_claim_misses_total{runtime="python3"} 0');
    expect(text).toContain('coderun_run_duration_seconds_sum{runtime="python3",path="warm"} 1.5');
    expect(text).toContain('coderun_warm_pool_pod_ready_duration_seconds_count{runtime="python3"} 1');
    expect(text).toContain('coderun_warm_pool_pod_ready_duration_seconds_sum{runtime="python3"} 4');
  });
});
