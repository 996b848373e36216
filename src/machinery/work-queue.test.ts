import { createMachineryMetrics } from '../observability/machinery-metrics.js';
import { createRegistry } from '../observability/registry.js';
import { FakeClock, settle } from './fake-clock.js';
import { ItemExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

function newQueue(clock = new FakeClock()): { queue: WorkQueue; clock: FakeClock } {
  return { queue: new WorkQueue({ name: 'test', clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) }), clock };
}

/** Calls get() and reports whether it resolved yet. */
function pendingGet(queue: WorkQueue): { value: () => string | undefined | 'pending' } {
  let value: string | undefined | 'pending' = 'pending';
  void queue.get().then((v) => (value = v));
  return { value: () => value };
}

describe('WorkQueue', () => {
  it('hands keys out in the order they were added', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
  });

  it('collapses repeated adds of a waiting key into one', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.len()).toBe(0);
  });

  it('never hands a key that is being processed to a second worker; a re-add waits for done()', async () => {
    const { queue } = newQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a'); // an event arrives while worker 1 reconciles "a"
    const second = pendingGet(queue);
    await settle();
    expect(first).toBe('a');
    expect(second.value()).toBe('pending');
    expect(queue.len()).toBe(0);
    queue.done('a');
    await settle();
    expect(second.value()).toBe('a');
  });

  it('processes a key re-added during processing exactly once more, however often it was re-added', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.add('a');
    queue.add('a');
    queue.done('a');
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('does not put a finished key back when nobody re-added it', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting get() when a key arrives', async () => {
    const { queue } = newQueue();
    const waiting = pendingGet(queue);
    await settle();
    expect(waiting.value()).toBe('pending');
    queue.add('x');
    await settle();
    expect(waiting.value()).toBe('x');
  });

  it('gives each waiting worker a different key', async () => {
    const { queue } = newQueue();
    const w1 = pendingGet(queue);
    const w2 = pendingGet(queue);
    queue.add('a');
    queue.add('b');
    await settle();
    expect([w1.value(), w2.value()].sort()).toEqual(['a', 'b']);
  });

  it('tells when a key being processed was added (its first add while waiting), until done', async () => {
    const { queue, clock } = newQueue();
    const start = clock.now();
    queue.add('a');
    await clock.advance(40);
    queue.add('a');
    await clock.advance(60);
    expect(await queue.get()).toBe('a');
    expect(queue.queuedAt('a')).toBe(start);
    queue.done('a');
    expect(queue.queuedAt('a')).toBeUndefined();
  });

  it('addAfter adds only once the delay has passed, and the earliest of two delays wins', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('a', 1000);
    queue.addAfter('a', 300);
    queue.addAfter('a', 5000);
    await clock.advance(299);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    await clock.advance(10_000);
    expect(queue.len()).toBe(1);
  });

  it('addRateLimited backs a failing key off exponentially, and forget resets it', async () => {
    const { queue, clock } = newQueue();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const at = clock.now();
      queue.addRateLimited('a');
      while (queue.len() === 0) await clock.advance(1);
      delays.push(clock.now() - at);
      await queue.get();
      queue.done('a');
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(queue.numRequeues('a')).toBe(4);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    queue.addRateLimited('a');
    await clock.advance(4);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
  });

  it('after shutDown, ignores adds and resolves get() with undefined, also for waiting workers', async () => {
    const { queue, clock } = newQueue();
    const waiting = pendingGet(queue);
    queue.addAfter('later', 100);
    queue.shutDown();
    await settle();
    expect(waiting.value()).toBeUndefined();
    queue.add('a');
    await clock.advance(1000);
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('shutDownWithDrain waits for keys being processed, and reports a timeout', async () => {
    const { queue, clock } = newQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    await queue.get();
    let drained: boolean | undefined;
    void queue.shutDownWithDrain(10_000).then((d) => (drained = d));
    await clock.advance(100);
    queue.done('a');
    await settle();
    expect(drained).toBeUndefined();
    queue.done('b');
    await settle();
    expect(drained).toBe(true);

    const other = newQueue();
    other.queue.add('stuck');
    await other.queue.get();
    let result: boolean | undefined;
    void other.queue.shutDownWithDrain(500).then((d) => (result = d));
    await other.clock.advance(499);
    expect(result).toBeUndefined();
    await other.clock.advance(1);
    expect(result).toBe(false);
  });
});

describe('WorkQueue metrics', () => {
  it('reports depth, adds, retries, durations and unfinished work under the queue name', async () => {
    const registry = createRegistry({ processMetrics: false });
    const metrics = createMachineryMetrics(registry);
    const clock = new FakeClock();
    const queue = new WorkQueue({ name: 'coderun', clock, metrics: metrics.workQueue, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    queue.add('a');
    queue.add('a'); // collapsed: not an add
    queue.add('b');
    await clock.advance(2000);
    await queue.get(); // a waited 2 s
    await clock.advance(3000);
    queue.addRateLimited('c');

    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="coderun"} 1');
    expect(text).toContain('workqueue_adds_total{name="coderun"} 2');
    expect(text).toContain('workqueue_retries_total{name="coderun"} 1');
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="coderun"} 2');
    expect(text).toContain('workqueue_unfinished_work_seconds{name="coderun"} 3');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="coderun"} 3');
    queue.done('a');
    const after = await registry.metrics();
    expect(after).toContain('workqueue_work_duration_seconds_sum{name="coderun"} 3');
    expect(after).toContain('workqueue_unfinished_work_seconds{name="coderun"} 0');
  });
});
