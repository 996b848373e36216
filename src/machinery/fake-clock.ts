import type { Clock, TimerHandle } from './clock.js';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A Clock that only moves when told to. `advance` fires due timers in time order and lets the
 * promise jobs they start settle between timers, so async code under test sees the same order of
 * events as with real time. For unit tests of pure logic only.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers = new Set<PendingTimer>();

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.delete(next);
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  private nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets every queued promise job run (a few macrotask turns cover chained awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
