import type { WorkQueueMetrics } from '../observability/machinery-metrics.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions {
  /** The `name` label of the workqueue_* metrics. */
  name: string;
  clock?: Clock;
  /** Default: controller-runtime's (per-key 5 ms..1000 s backoff, max with 10 qps / 100 burst). */
  rateLimiter?: RateLimiter<string>;
  metrics?: WorkQueueMetrics;
}

/**
 * A rate-limited, delaying, de-duplicating work queue of keys with client-go's semantics:
 * - `add` of a key that is already waiting does nothing (repeated adds collapse into one);
 * - a key handed out by `get` is "processing" until `done`; it is never handed to a second
 *   worker meanwhile. Adding it during processing marks it dirty, and `done` puts it back;
 * - `addAfter` adds once a delay has passed (the earliest pending time wins);
 * - `addRateLimited` adds after the rate limiter's delay; `forget` clears the key's failures.
 * After `shutDown`, adds are ignored and `get` resolves `undefined` at once: workers stop taking
 * keys, while keys already handed out may still be finished with `done`. Waiting keys are
 * dropped; level-triggered controllers recover them from the next list.
 */
export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<string>;
  private readonly metrics: WorkQueueMetrics | undefined;
  private readonly untrack: () => void;

  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  /** key -> when it was added to the queue and when its processing started. */
  private readonly processing = new Map<string, { queuedAt: number; startedAt: number }>();
  /** key -> when it entered the queue, for workqueue_queue_duration_seconds. */
  private readonly enqueuedAt = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly delayed = new Map<string, { readyAt: number; timer: TimerHandle }>();
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = options.metrics;
    this.untrack =
      this.metrics?.track(this.name, {
        unfinishedWorkSeconds: () => this.unfinishedWorkSeconds(),
        longestRunningProcessorSeconds: () => this.longestRunningProcessorSeconds(),
      }) ?? (() => {});
    this.metrics?.depth.set({ name: this.name }, 0);
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.adds.inc({ name: this.name });
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `delayMs`; a key already scheduled keeps the earlier of the two times. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(delayMs, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { readyAt, timer });
  }

  /** Adds `key` once the rate limiter allows: call this when processing `key` failed. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.retries.inc({ name: this.name });
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** `key` succeeded: its backoff starts again from the base delay next time. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * The next key to process, waiting for one if the queue is empty; `undefined` once the queue
   * is shut down. The caller must call `done(key)` when it has finished with the key.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.queue.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile, it goes back in the queue. */
  done(key: string): void {
    const started = this.processing.get(key)?.startedAt;
    if (started === undefined) return;
    this.processing.delete(key);
    this.metrics?.workDuration.observe({ name: this.name }, (this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
    if (this.processing.size === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  /** When a key being processed was added to the queue (its wait before a worker took it). */
  queuedAt(key: string): number | undefined {
    return this.processing.get(key)?.queuedAt;
  }

  /** Keys waiting to be handed out (not counting delayed or processing keys). */
  len(): number {
    return this.queue.length;
  }

  /** Keys handed out and not yet done. */
  processingCount(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out keys and ignores further adds; waiting `get` calls resolve `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    this.queue.length = 0;
    this.enqueuedAt.clear();
    this.dirty.clear();
    this.metrics?.depth.set({ name: this.name }, 0);
    this.waiters.splice(0).forEach((resolve) => resolve(undefined));
    this.untrack();
  }

  /**
   * Shuts down and waits until every key handed out is done, at most `timeoutMs`.
   * Resolves true when all were done in time.
   */
  async shutDownWithDrain(timeoutMs: number): Promise<boolean> {
    this.shutDown();
    if (this.processing.size === 0) return true;
    let timer: TimerHandle | undefined;
    const drained = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimer(timeoutMs, () => resolve(false));
    });
    const result = await Promise.race([drained, timedOut]);
    timer?.cancel();
    return result;
  }

  private enqueue(key: string): void {
    this.enqueuedAt.set(key, this.clock.now());
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queue.push(key);
      waiter(this.take());
      return;
    }
    this.queue.push(key);
    this.metrics?.depth.set({ name: this.name }, this.queue.length);
  }

  private take(): string {
    const key = this.queue.shift();
    if (key === undefined) throw new Error('work queue: take() on an empty queue');
    const now = this.clock.now();
    this.metrics?.depth.set({ name: this.name }, this.queue.length);
    const queuedAt = this.enqueuedAt.get(key) ?? now;
    this.metrics?.queueDuration.observe({ name: this.name }, (now - queuedAt) / 1000);
    this.enqueuedAt.delete(key);
    this.processing.set(key, { queuedAt, startedAt: now });
    this.dirty.delete(key);
    return key;
  }

  private unfinishedWorkSeconds(): number {
    const now = this.clock.now();
    let total = 0;
    for (const { startedAt } of this.processing.values()) total += now - startedAt;
    return total / 1000;
  }

  private longestRunningProcessorSeconds(): number {
    const now = this.clock.now();
    let longest = 0;
    for (const { startedAt } of this.processing.values()) longest = Math.max(longest, now - startedAt);
    return longest / 1000;
  }
}
