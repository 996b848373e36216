import { Meter, runSteps, runStepsAsync, type Steps } from './steps.js';

/** Counts to `total` a step at a time on `meter`, yielding when it says so; returns the yields. */
function* count(total: number, meter: Meter): Steps<number> {
  let yields = 0;
  for (let i = 0; i < total; i++) {
    if (meter.add(1)) {
      yields++;
      yield;
    }
  }
  return yields;
}

describe('Meter', () => {
  test.each([
    [10, 100, 10],
    [10, 99, 9],
    [10, 9, 0],
    [1, 5, 5],
  ])('a slice of %d steps over %d steps yields %d times', (slice, total, yields) => {
    const meter = new Meter(slice);
    expect(runSteps(count(total, meter))).toBe(yields);
    expect(meter.steps).toBe(total);
  });

  test('a large add completes a slice at once, and the next slice starts after it', () => {
    const meter = new Meter(10);
    expect(meter.add(25)).toBe(true);
    expect(meter.add(9)).toBe(false);
    expect(meter.add(1)).toBe(true);
    expect(meter.steps).toBe(35);
  });
});

describe('runStepsAsync', () => {
  test('returns what the steps return', async () => {
    await expect(runStepsAsync(count(100, new Meter(7)))).resolves.toBe(14);
  });

  test('lets the event loop run between slices, not within one', async () => {
    const seen: number[] = [];
    const meter = new Meter(10);
    const timer = setInterval(() => seen.push(meter.steps), 0);
    function* slow(): Steps<void> {
      const until = Date.now() + 30;
      while (Date.now() < until) if (meter.add(1)) yield;
    }
    await runStepsAsync(slow());
    clearInterval(timer);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((steps) => steps % 10 === 0)).toBe(true);
  });
});
