import { FakeClock } from './fake-clock.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from './rate-limiter.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles the delay per failure of a key, starting at the base', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1_000_000);
    expect([1, 2, 3, 4, 5].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 80]);
    expect(limiter.numRequeues('a')).toBe(5);
  });

  it('keeps keys apart', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1_000_000);
    limiter.when('a');
    limiter.when('a');
    expect(limiter.when('b')).toBe(5);
    expect(limiter.numRequeues('a')).toBe(2);
    expect(limiter.numRequeues('b')).toBe(1);
  });

  it('caps the delay at the maximum (1000 s by default), even after very many failures', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    const delays = Array.from({ length: 2000 }, () => limiter.when('a'));
    expect(delays[17]).toBe(5 * 2 ** 17); // 655.36 s, still below the cap
    expect(delays[18]).toBe(1_000_000);
    expect(delays[1999]).toBe(1_000_000);
  });

  it('starts again from the base after forget', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1_000_000);
    limiter.when('a');
    limiter.when('a');
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });

  it('rejects a base above the maximum with a message naming both', () => {
    expect(() => new ItemExponentialFailureRateLimiter(10, 5)).toThrow('baseMs=10 maxMs=5');
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through at once, then spaces callers 1/qps apart', () => {
    const clock = new FakeClock();
    const limiter = new BucketRateLimiter(clock, 10, 100);
    const burst = Array.from({ length: 100 }, (_, i) => limiter.when(`k${i}`));
    expect(burst.every((d) => d === 0)).toBe(true);
    expect(limiter.when('x')).toBeCloseTo(100);
    expect(limiter.when('y')).toBeCloseTo(200);
    expect(limiter.when('z')).toBeCloseTo(300);
  });

  it('refills at qps tokens per second, up to the burst', async () => {
    const clock = new FakeClock();
    const limiter = new BucketRateLimiter(clock, 10, 5);
    for (let i = 0; i < 5; i++) limiter.when('k');
    await clock.advance(300); // three tokens back
    expect([limiter.when('k'), limiter.when('k'), limiter.when('k')]).toEqual([0, 0, 0]);
    expect(limiter.when('k')).toBeCloseTo(100);
    await clock.advance(3_600_000); // an hour idle refills only to the burst
    for (let i = 0; i < 5; i++) expect(limiter.when('k')).toBe(0);
    expect(limiter.when('k')).toBeGreaterThan(0);
  });

  it('has no per-key memory', () => {
    const limiter = new BucketRateLimiter(new FakeClock(), 10, 100);
    limiter.when('a');
    expect(limiter.numRequeues('a')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('returns the largest delay and counts failures in every limiter', () => {
    const slow = new ItemExponentialFailureRateLimiter(1000, 60_000);
    const limiter = new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1000), slow);
    expect(limiter.when('a')).toBe(1000);
    expect(limiter.when('a')).toBe(2000);
    expect(limiter.numRequeues('a')).toBe(2);
    limiter.forget('a');
    expect(slow.numRequeues('a')).toBe(0);
  });

  it('needs at least one limiter', () => {
    expect(() => new MaxOfRateLimiter()).toThrow('at least one');
  });
});

describe('defaultControllerRateLimiter', () => {
  it('backs a failing key off exponentially while the bucket has tokens', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a')]).toEqual([5, 10, 20]);
  });

  it('spaces many different failing keys at 10 per second once the burst of 100 is spent', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    const delays = Array.from({ length: 120 }, (_, i) => limiter.when(`key-${i}`));
    expect(delays.slice(0, 100).every((d) => d === 5)).toBe(true);
    expect(delays[100]).toBeCloseTo(100);
    expect(delays[119]).toBeCloseTo(2000);
  });
});
