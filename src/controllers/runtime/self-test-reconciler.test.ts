import { withReady } from './self-test-reconciler.js';
import { NO_SELF_TEST } from './self-test.js';

const t0 = new Date('2026-12-06T09:00:00Z');
const t1 = new Date('2026-12-06T09:05:00Z');
const other = { type: 'Other', status: 'True' as const, reason: 'X', message: 'kept', lastTransitionTime: t0.toISOString() };
const running = { type: 'Ready' as const, status: 'Unknown' as const, reason: 'SelfTestRunning' as const, message: 'running' };
const passed = { type: 'Ready' as const, status: 'True' as const, reason: 'SelfTestPassed' as const, message: 'passed' };

describe('the Ready condition written', () => {
  it('is added beside the other conditions, with the generation it is for', () => {
    expect(withReady([other], running, 1, t0)).toEqual([other, { ...running, lastTransitionTime: t0.toISOString(), observedGeneration: 1 }]);
  });

  it('is not written again when nothing changed', () => {
    const written = withReady([], passed, 2, t0) ?? [];
    expect(withReady(written, passed, 2, t1)).toBeUndefined();
  });

  it('moves lastTransitionTime only when the status changes', () => {
    const first = withReady([], running, 1, t0) ?? [];
    expect(withReady(first, { ...running, message: 'still running' }, 1, t1)?.[0]?.lastTransitionTime).toBe(t0.toISOString());
    expect(withReady(first, passed, 1, t1)?.[0]?.lastTransitionTime).toBe(t1.toISOString());
  });

  it('is written again for a new generation with the same outcome', () => {
    const first = withReady([], NO_SELF_TEST, 1, t0) ?? [];
    expect(withReady(first, NO_SELF_TEST, 2, t1)).toEqual([{ ...NO_SELF_TEST, lastTransitionTime: t0.toISOString(), observedGeneration: 2 }]);
  });
});
