import { createMachineryMetrics } from '../observability/machinery-metrics.js';
import { createRegistry } from '../observability/registry.js';
import { sleep } from './clock.js';
import { Controller, type Reconcile } from './controller.js';
import { FakeClock, settle } from './fake-clock.js';

interface Harness {
  controller: Controller;
  clock: FakeClock;
  calls: Array<{ key: string; at: number }>;
  metricsText: () => Promise<string>;
}

function harness(reconcile: (key: string, clock: FakeClock, signal: AbortSignal) => ReturnType<Reconcile>, workers = 1): Harness {
  const clock = new FakeClock(0);
  const registry = createRegistry({ processMetrics: false });
  const calls: Harness['calls'] = [];
  const controller = new Controller({
    name: 'coderun',
    workers,
    clock,
    metrics: createMachineryMetrics(registry),
    reconcile: (key, ctx) => {
      calls.push({ key, at: clock.now() });
      return reconcile(key, clock, ctx.signal);
    },
  });
  return { controller, clock, calls, metricsText: () => registry.metrics() };
}

describe('Controller', () => {
  it('reconciles an added key once and forgets it on success', async () => {
    const h = harness(async () => undefined);
    h.controller.start();
    h.controller.queue.add('ns/a');
    await h.clock.advance(10_000);
    expect(h.calls.map((c) => c.key)).toEqual(['ns/a']);
    expect(h.controller.queue.numRequeues('ns/a')).toBe(0);
    const text = await h.metricsText();
    expect(text).toContain('controller_runtime_reconcile_total{controller="coderun",result="success"} 1');
    expect(text).toContain('controller_runtime_reconcile_total{controller="coderun",result="error"} 0');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="coderun"} 0');
  });

  it('retries a failing reconcile with growing backoff and forgets the failures once it succeeds', async () => {
    let failuresLeft = 3;
    const h = harness(async () => {
      if (failuresLeft-- > 0) throw new Error('API server said 500');
    });
    h.controller.start();
    h.controller.queue.add('ns/a');
    await h.clock.advance(10_000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 5, 15, 35]);
    expect(h.controller.queue.numRequeues('ns/a')).toBe(0);
    const text = await h.metricsText();
    expect(text).toContain('controller_runtime_reconcile_total{controller="coderun",result="error"} 3');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="coderun"} 3');
    expect(text).toContain('controller_runtime_reconcile_total{controller="coderun",result="success"} 1');
    expect(text).toContain('workqueue_retries_total{name="coderun"} 3');
  });

  it('requeues after exactly the delay a reconcile asks for, without counting a failure', async () => {
    let polls = 0;
    const h = harness(async () => (++polls < 3 ? { requeueAfterMs: 2000 } : undefined));
    h.controller.start();
    h.controller.queue.add('ns/a');
    await h.clock.advance(10_000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 2000, 4000]);
    const text = await h.metricsText();
    expect(text).toContain('controller_runtime_reconcile_total{controller="coderun",result="requeue_after"} 2');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="coderun"} 0');
  });

  it('requeue: true goes through the backoff without an error', async () => {
    let rounds = 0;
    const h = harness(async () => (++rounds < 3 ? { requeue: true } : undefined));
    h.controller.start();
    h.controller.queue.add('a');
    await h.clock.advance(10_000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 5, 15]);
    expect(await h.metricsText()).toContain('controller_runtime_reconcile_total{controller="coderun",result="requeue"} 2');
  });

  it('runs different keys on all N workers at once but never one key on two workers', async () => {
    const running = new Set<string>();
    let maxParallel = 0;
    let overlapOnOneKey = false;
    const h = harness(async (key, clock) => {
      if (running.has(key)) overlapOnOneKey = true;
      running.add(key);
      maxParallel = Math.max(maxParallel, running.size);
      await sleep(clock, 100);
      running.delete(key);
    }, 4);
    h.controller.start();
    for (let round = 0; round < 5; round++) {
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) h.controller.queue.add(key);
      await h.clock.advance(30); // events keep arriving while those keys are being reconciled
    }
    await h.clock.advance(5000);
    expect(overlapOnOneKey).toBe(false);
    expect(maxParallel).toBe(4);
    expect(new Set(h.calls.map((c) => c.key))).toEqual(new Set(['a', 'b', 'c', 'd', 'e', 'f']));
    expect(await h.metricsText()).toContain('controller_runtime_max_concurrent_reconciles{controller="coderun"} 4');
  });

  it('reconciles a key again after an event that arrived during its reconcile', async () => {
    const h = harness(async (_key, clock) => sleep(clock, 100));
    h.controller.start();
    h.controller.queue.add('a');
    await h.clock.advance(50);
    h.controller.queue.add('a');
    await h.clock.advance(1000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 100]);
  });

  it('shows the workers in use while reconciles run', async () => {
    const h = harness(async (_key, clock) => sleep(clock, 100), 3);
    h.controller.start();
    h.controller.queue.add('a');
    h.controller.queue.add('b');
    await h.clock.advance(10);
    expect(await h.metricsText()).toContain('controller_runtime_active_workers{controller="coderun"} 2');
    await h.clock.advance(200);
    expect(await h.metricsText()).toContain('controller_runtime_active_workers{controller="coderun"} 0');
  });

  it('on stop, takes no new keys and waits for the running reconcile', async () => {
    const h = harness(async (_key, clock) => sleep(clock, 1000));
    h.controller.start();
    h.controller.queue.add('a');
    h.controller.queue.add('b');
    await h.clock.advance(10);
    let stopped: boolean | undefined;
    void h.controller.stop(5000).then((s) => (stopped = s));
    await h.clock.advance(500);
    expect(stopped).toBeUndefined();
    await h.clock.advance(600);
    expect(stopped).toBe(true);
    expect(h.calls.map((c) => c.key)).toEqual(['a']);
  });

  it('on stop, aborts a reconcile that outlives the grace period', async () => {
    let aborted = false;
    const h = harness(async (_key, clock, signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      await sleep(clock, 60_000);
    });
    h.controller.start();
    h.controller.queue.add('a');
    await settle();
    let stopped: boolean | undefined;
    void h.controller.stop(2000).then((s) => (stopped = s));
    await h.clock.advance(2000);
    expect(stopped).toBe(false);
    expect(aborted).toBe(true);
  });

  it('rejects a worker count that is not a positive integer, naming the controller', () => {
    expect(() => new Controller({ name: 'pool', workers: 0, reconcile: async () => undefined })).toThrow('controller pool: workers must be a positive integer, got 0');
  });
});
