import { percentile, summarize } from './pod-start-stats.js';

describe('percentile (nearest rank)', () => {
  test.each([
    { samples: [5], p: 50, expected: 5 },
    { samples: [1, 2, 3, 4], p: 50, expected: 2 },
    { samples: [1, 2, 3, 4, 5], p: 50, expected: 3 },
    { samples: Array.from({ length: 20 }, (_, i) => i + 1), p: 95, expected: 19 },
    { samples: Array.from({ length: 20 }, (_, i) => i + 1), p: 100, expected: 20 },
    { samples: [10, 20], p: 95, expected: 20 },
  ])('p$p of $samples.length samples is $expected', ({ samples, p, expected }) => {
    expect(percentile(samples, p)).toBe(expected);
  });

  test('refuses no samples and out-of-range percentiles', () => {
    expect(() => percentile([], 50)).toThrow('no samples');
    expect(() => percentile([1], 0)).toThrow('outside');
    expect(() => percentile([1], 101)).toThrow('outside');
  });
});

test('summarize sorts the samples before ranking them', () => {
  expect(summarize([900, 100, 500, 300])).toEqual({ samples: 4, p50Ms: 300, p95Ms: 900, maxMs: 900, minMs: 100 });
});
