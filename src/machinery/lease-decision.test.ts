import { decideLease, timingProblem, type LeaseDecision, type ObservedLease } from './lease-decision.js';

const me = 'replica-a';
const t0 = 1_000_000;

describe('decideLease', () => {
  const cases: Array<[string, ObservedLease | undefined, number, LeaseDecision]> = [
    ['no lease yet: create it', undefined, t0, { action: 'create' }],
    ['our own lease: renew, keeping the transition count', { holderIdentity: me, leaseDurationSeconds: 15, leaseTransitions: 3 }, t0 + 60_000, { action: 'update', takeover: false, leaseTransitions: 3 }],
    ['another holder, seen 10 s ago, 15 s lease: wait', { holderIdentity: 'replica-b', leaseDurationSeconds: 15, leaseTransitions: 1 }, t0 + 10_000, { action: 'wait', holder: 'replica-b', expiresInMs: 5000 }],
    ['another holder, unchanged for 15 s: take over', { holderIdentity: 'replica-b', leaseDurationSeconds: 15, leaseTransitions: 1 }, t0 + 15_000, { action: 'update', takeover: true, leaseTransitions: 2 }],
    ['a released lease (no holder): take over at once', { leaseDurationSeconds: 1, leaseTransitions: 4 }, t0, { action: 'update', takeover: true, leaseTransitions: 5 }],
    ['a lease without duration uses ours', { holderIdentity: 'replica-b' }, t0 + 29_000, { action: 'wait', holder: 'replica-b', expiresInMs: 1000 }],
  ];

  it.each(cases)('%s', (_name, lease, now, expected) => {
    expect(decideLease({ lease, identity: me, now, observedAt: t0, leaseDurationSeconds: 30 })).toEqual(expected);
  });

  it('judges expiry from when this replica saw the lease change, not from its renewTime', () => {
    // The holder's clock may be far off; only the local observation time counts.
    const lease = { holderIdentity: 'replica-b', leaseDurationSeconds: 15 };
    expect(decideLease({ lease, identity: me, now: t0 + 14_000, observedAt: t0, leaseDurationSeconds: 15 }).action).toBe('wait');
    expect(decideLease({ lease, identity: me, now: t0 + 14_000, observedAt: t0 + 10_000, leaseDurationSeconds: 15 }).action).toBe('wait');
  });
});

describe('timingProblem', () => {
  it('accepts the defaults (15 / 10 / 2)', () => {
    expect(timingProblem({ leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 })).toBeUndefined();
  });

  it.each([
    [{ leaseDurationSeconds: 10, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 }, 'leaseDurationSeconds (10) must be greater than renewDeadlineSeconds (10)'],
    [{ leaseDurationSeconds: 15, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }, 'renewDeadlineSeconds (2) must be greater than 1.2 x retryPeriodSeconds (2)'],
    [{ leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 0 }, 'retryPeriodSeconds must be > 0, got 0'],
    [{ leaseDurationSeconds: 15.5, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 }, 'leaseDurationSeconds must be a whole number, got 15.5'],
  ])('%j: %s', (timing, message) => {
    expect(timingProblem(timing)).toBe(message);
  });
});
