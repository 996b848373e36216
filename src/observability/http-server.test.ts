import { request } from 'node:http';
import { createDomainMetrics } from './domain-metrics.js';
import { createObservabilityServer, type ObservabilityServer, type ObservabilityServerOptions, type Readiness } from './http-server.js';
import { createMachineryMetrics } from './machinery-metrics.js';
import { createRegistry } from './registry.js';

/** Prometheus text format -> map of "name{labels}" to value, plus the TYPE of each family. */
function parseExposition(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!sample?.[1] || !sample[2]) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(sample[1], Number(sample[2]));
  }
  return { samples, types };
}

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

describe('observability HTTP server', () => {
  let server: ObservabilityServer;
  let ready: Readiness = { ready: false, message: 'informers have not synced' };
  const registry = createRegistry();
  const machinery = createMachineryMetrics(registry);
  const domain = createDomainMetrics(registry);

  beforeAll(async () => {
    server = createObservabilityServer({ registry, port: 0, host: '127.0.0.1', readiness: () => ready });
    await server.listen();
  });
  afterAll(() => server.close());

  it('serves every documented metric family in Prometheus text format, with the values recorded', async () => {
    machinery.controller.reconcileTotal.inc({ controller: 'coderun', result: 'success' }, 3);
    machinery.controller.reconcileErrors.inc({ controller: 'coderun' });
    machinery.controller.reconcileTime.observe({ controller: 'coderun' }, 0.2);
    machinery.controller.activeWorkers.set({ controller: 'coderun' }, 2);
    machinery.controller.maxConcurrentReconciles.set({ controller: 'coderun' }, 4);
    machinery.workQueue.depth.set({ name: 'coderun' }, 7);
    machinery.workQueue.adds.inc({ name: 'coderun' }, 9);
    machinery.workQueue.queueDuration.observe({ name: 'coderun' }, 0.5);
    machinery.workQueue.workDuration.observe({ name: 'coderun' }, 1.5);
    machinery.workQueue.retries.inc({ name: 'coderun' });
    machinery.workQueue.track('coderun', { unfinishedWorkSeconds: () => 4.5, longestRunningProcessorSeconds: () => 2.5 });
    machinery.leaderElection.masterStatus.set({ name: 'coderun-operator' }, 1);
    machinery.informer.restarts.inc({ informer: 'coderuns', reason: 'error' });
    machinery.informer.objects.set({ informer: 'coderuns' }, 12);
    domain.runsTotal.inc({ runtime: 'python3', verdict: 'Accepted', path: 'warm' }, 5);
    domain.runQueueSeconds.observe({ runtime: 'python3', path: 'cold' }, 0.3);
    domain.runStartSeconds.observe({ runtime: 'python3', path: 'cold' }, 2);
    domain.runExecutionSeconds.observe({ runtime: 'python3', path: 'cold' }, 0.7);
    domain.poolPods.set({ runtime: 'cpp', state: 'idle' }, 3);
    domain.claimHits.inc({ runtime: 'cpp' });
    domain.claimMisses.inc({ runtime: 'cpp' }, 2);
    domain.claimConflicts.inc({ runtime: 'cpp' });

    const response = await get(server.port, '/metrics');
    expect(response.status).toBe(200);
    expect(response.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, types } = parseExposition(response.body);

    expect(Object.fromEntries(types)).toMatchObject({
      controller_runtime_reconcile_total: 'counter',
      controller_runtime_reconcile_errors_total: 'counter',
      controller_runtime_reconcile_time_seconds: 'histogram',
      controller_runtime_active_workers: 'gauge',
      controller_runtime_max_concurrent_reconciles: 'gauge',
      workqueue_depth: 'gauge',
      workqueue_adds_total: 'counter',
      workqueue_queue_duration_seconds: 'histogram',
      workqueue_work_duration_seconds: 'histogram',
      workqueue_retries_total: 'counter',
      workqueue_unfinished_work_seconds: 'gauge',
      workqueue_longest_running_processor_seconds: 'gauge',
      leader_election_master_status: 'gauge',
      coderun_informer_restarts_total: 'counter',
      coderun_informer_objects: 'gauge',
      coderun_runs_total: 'counter',
      coderun_run_queue_duration_seconds: 'histogram',
      coderun_run_start_duration_seconds: 'histogram',
      coderun_run_execution_duration_seconds: 'histogram',
      coderun_warm_pool_pods: 'gauge',
      coderun_warm_pool_claim_hits_total: 'counter',
      coderun_warm_pool_claim_misses_total: 'counter',
      coderun_warm_pool_claim_conflicts_total: 'counter',
      process_cpu_seconds_total: 'counter',
    });
    const expectedSamples: Record<string, number> = {
      'controller_runtime_reconcile_total{controller="coderun",result="success"}': 3,
      'controller_runtime_reconcile_time_seconds_bucket{le="0.2",controller="coderun"}': 1,
      'controller_runtime_reconcile_time_seconds_bucket{le="0.15",controller="coderun"}': 0,
      'workqueue_depth{name="coderun"}': 7,
      'workqueue_adds_total{name="coderun"}': 9,
      'workqueue_unfinished_work_seconds{name="coderun"}': 4.5,
      'workqueue_longest_running_processor_seconds{name="coderun"}': 2.5,
      'workqueue_work_duration_seconds_sum{name="coderun"}': 1.5,
      'leader_election_master_status{name="coderun-operator"}': 1,
      'coderun_runs_total{runtime="python3",verdict="Accepted",path="warm"}': 5,
      'coderun_run_start_duration_seconds_count{runtime="python3",path="cold"}': 1,
      'coderun_warm_pool_pods{runtime="cpp",state="idle"}': 3,
      'coderun_warm_pool_claim_misses_total{runtime="cpp"}': 2,
    };
    for (const [series, value] of Object.entries(expectedSamples)) expect([series, samples.get(series)]).toEqual([series, value]);
  });

  it('answers /healthz with 200', async () => {
    expect(await get(server.port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('answers /readyz from the readiness callback, with the reason when not ready', async () => {
    ready = { ready: false, message: 'informers have not synced' };
    expect(await get(server.port, '/readyz')).toMatchObject({ status: 503, body: 'not ready: informers have not synced\n' });
    ready = true;
    expect(await get(server.port, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('refuses other paths and methods', async () => {
    expect((await get(server.port, '/nope')).status).toBe(404);
    expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
  });

  it('serves no CPU profile unless profiling is on, and says how to turn it on', async () => {
    expect(await get(server.port, '/debug/cpu-profile?seconds=1')).toMatchObject({ status: 404, body: expect.stringContaining('CODERUN_PROFILING=true') });
  });
});

describe('observability HTTP server with profiling', () => {
  let server: ObservabilityServer;
  beforeAll(async () => {
    server = createObservabilityServer({ registry: createRegistry(), port: 0, host: '127.0.0.1', profiling: true });
    await server.listen();
  });
  afterAll(() => server.close());

  it('returns a V8 CPU profile of the seconds asked for that saw the work done meanwhile, one at a time', async () => {
    const first = get(server.port, '/debug/cpu-profile?seconds=1');
    await new Promise((r) => setTimeout(r, 100));
    // A second request while the first samples is refused, not queued.
    expect((await get(server.port, '/debug/cpu-profile?seconds=1')).status).toBe(409);
    const spinUntil = Date.now() + 300;
    const busyWork = function coderunProfiledBusyWork(): number {
      let x = 0;
      while (Date.now() < spinUntil) x += Math.sqrt(x + 1);
      return x;
    };
    busyWork();
    const response = await first;
    expect(response).toMatchObject({ status: 200, type: 'application/json' });
    const profile = JSON.parse(response.body) as { nodes: Array<{ callFrame: { functionName: string } }>; startTime: number; endTime: number; samples: number[] };
    expect(profile.endTime - profile.startTime).toBeGreaterThanOrEqual(900_000);
    expect(profile.samples.length).toBeGreaterThan(100);
    expect(profile.nodes.map((n) => n.callFrame.functionName)).toContain('coderunProfiledBusyWork');
  });

  it('refuses a duration out of bounds with the bounds', async () => {
    expect(await get(server.port, '/debug/cpu-profile?seconds=0')).toMatchObject({ status: 400, body: 'seconds must be a whole number from 1 to 120\n' });
    expect((await get(server.port, '/debug/cpu-profile?seconds=abc')).status).toBe(400);
  });
});

describe('observability HTTP server lifecycle', () => {
  const loopbackServer = (options: Partial<ObservabilityServerOptions> = {}): ObservabilityServer =>
    createObservabilityServer({ registry: createRegistry({ processMetrics: false }), port: 0, host: '127.0.0.1', ...options });

  it('closes even while a client holds a keep-alive connection, and then refuses connections', async () => {
    const server = loopbackServer();
    const port = await server.listen();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { Connection: 'keep-alive' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    await server.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('treats a readiness callback that throws as not ready', async () => {
    const server = loopbackServer({
      readiness: () => {
        throw new Error('lost the API server');
      },
    });
    const port = await server.listen();
    try {
      expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: 'not ready: lost the API server\n' });
    } finally {
      await server.close();
    }
  });

  it('fails to listen on a port in use with the error from the OS', async () => {
    const first = loopbackServer();
    const port = await first.listen();
    try {
      await expect(loopbackServer({ port }).listen()).rejects.toThrow('EADDRINUSE');
    } finally {
      await first.close();
    }
  });
});
