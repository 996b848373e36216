/** The fields of a coordination.k8s.io/v1 Lease that leader election reads. */
export interface ObservedLease {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
}

export type LeaseDecision =
  /** No Lease exists: create one holding it. */
  | { action: 'create' }
  /** Someone else holds a lease that has not expired: try again later. */
  | { action: 'wait'; holder: string; expiresInMs: number }
  /** Write the Lease (guarded by its resourceVersion): renew our own or take over a free one. */
  | { action: 'update'; takeover: boolean; leaseTransitions: number };

/**
 * client-go's tryAcquireOrRenew as a pure function. Expiry is judged on the local clock from
 * when this process last saw the Lease change (`observedAt`), never from the renewTime written by
 * another machine, so clock skew between replicas cannot make a lease look expired early.
 */
export function decideLease(input: {
  lease: ObservedLease | undefined;
  identity: string;
  now: number;
  observedAt: number;
  /** Our own duration, used when the Lease does not carry one. */
  leaseDurationSeconds: number;
}): LeaseDecision {
  const { lease, identity, now, observedAt } = input;
  if (!lease) return { action: 'create' };
  const holder = lease.holderIdentity ?? '';
  const transitions = lease.leaseTransitions ?? 0;
  if (holder === identity) return { action: 'update', takeover: false, leaseTransitions: transitions };
  const durationMs = (lease.leaseDurationSeconds ?? input.leaseDurationSeconds) * 1000;
  const expiresInMs = observedAt + durationMs - now;
  if (holder !== '' && expiresInMs > 0) return { action: 'wait', holder, expiresInMs };
  return { action: 'update', takeover: true, leaseTransitions: transitions + 1 };
}

export interface LeaderElectionTiming {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

/** client-go's rules for a safe timing; returns what to change, or undefined when valid. */
export function timingProblem(t: LeaderElectionTiming): string | undefined {
  if (!(t.retryPeriodSeconds > 0)) return `retryPeriodSeconds must be > 0, got ${t.retryPeriodSeconds}`;
  if (!(t.leaseDurationSeconds > t.renewDeadlineSeconds)) {
    return `leaseDurationSeconds (${t.leaseDurationSeconds}) must be greater than renewDeadlineSeconds (${t.renewDeadlineSeconds})`;
  }
  if (!(t.renewDeadlineSeconds > 1.2 * t.retryPeriodSeconds)) {
    return `renewDeadlineSeconds (${t.renewDeadlineSeconds}) must be greater than 1.2 x retryPeriodSeconds (${t.retryPeriodSeconds})`;
  }
  if (!Number.isInteger(t.leaseDurationSeconds)) return `leaseDurationSeconds must be a whole number, got ${t.leaseDurationSeconds}`;
  return undefined;
}
