import type { Clock } from './clock.js';

/**
 * Decides how long a key must wait before it is retried (client-go's workqueue.RateLimiter).
 * `when` records one more failure of `key` and returns the delay in milliseconds.
 */
export interface RateLimiter<K = string> {
  when(key: K): number;
  /** The key succeeded: its failure history is dropped. */
  forget(key: K): void;
  /** How many failures of `key` are on record. */
  numRequeues(key: K): number;
}

/** Per-key exponential backoff: baseMs, 2*baseMs, 4*baseMs ... capped at maxMs. */
export class ItemExponentialFailureRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {
    if (!(baseMs > 0) || !(maxMs >= baseMs)) {
      throw new Error(`exponential rate limiter needs 0 < baseMs <= maxMs, got baseMs=${baseMs} maxMs=${maxMs}`);
    }
  }

  when(key: K): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    // 2**exp overflows to Infinity long before exp itself becomes a problem; Math.min handles it.
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * An overall token bucket shared by every key (golang.org/x/time/rate semantics): it starts full
 * with `burst` tokens, refills at `qps` tokens per second, and a caller that finds it empty gets
 * the time until its reserved token exists.
 */
export class BucketRateLimiter<K = string> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly qps = 10,
    readonly burst = 100,
  ) {
    if (!(qps > 0) || !(burst >= 1)) {
      throw new Error(`token bucket needs qps > 0 and burst >= 1, got qps=${qps} burst=${burst}`);
    }
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/** The longest delay any of its limiters asks for; every limiter records every failure. */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  private readonly limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) throw new Error('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: K): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: K): number {
    return Math.max(...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/**
 * controller-runtime's default: per-key backoff from 5 ms doubling to 1000 s, and at most 10
 * retries per second overall with a burst of 100.
 */
export function defaultControllerRateLimiter<K = string>(clock: Clock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(5, 1_000_000), new BucketRateLimiter<K>(clock, 10, 100));
}
