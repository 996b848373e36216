// The CodeRun reconcile decision: what the cluster looks like now → the next actions.
// Pure, so every scenario (restart in the middle, lost pod, stale cache, TTL) is a table row.
// The reconciler observes (informer caches, with an API read where a cache miss would be
// decisive), calls planRun, and carries the actions out in order.

import type { Phase } from '../../crds/coderun.js';
import { START_FAILURES } from './observed-pod.js';
import type { RunPath } from './status.js';
import type { InvalidReason } from './validate.js';

/** What the plan needs to know about a CodeRun. */
export interface RunView {
  deleting: boolean;
  hasFinalizer: boolean;
  phase: Phase | undefined;
  /** The sandbox pod of the current attempt, as recorded in status. */
  podName: string | undefined;
  attempts: number;
  /** The path of the current attempt, as recorded in status. */
  path?: RunPath | undefined;
  createdAt: Date;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  ttlSecondsAfterFinished: number | undefined;
}

/** Validation of the spec against its Runtime and referenced objects. */
export type Validity =
  | { kind: 'valid' }
  | { kind: 'invalid'; reason: InvalidReason; message: string }
  /** A referenced ConfigMap or Secret does not exist (yet): wait a short grace, then fail. */
  | { kind: 'waitingForReference'; message: string };

/** The sandbox pod of the current attempt as observed (cache, or an API read on a cache miss). */
export type PodView =
  | { kind: 'absent' }
  | { kind: 'pending'; createdAt: Date; waitingReason: string | undefined; waitingMessage: string | undefined; unschedulableMessage: string | undefined }
  | { kind: 'running' }
  | { kind: 'finished' };

export interface PlanConfig {
  /** How long a missing ConfigMap/Secret reference is waited for before the run fails. */
  referenceGraceMs: number;
  /** How long a pod may stay Pending (image, scheduling) before the run is a SystemError. */
  podStartTimeoutMs: number;
  /** Attempts before a run whose pods keep disappearing is a SystemError. */
  maxAttempts: number;
}

export type Action =
  | { type: 'addFinalizer' }
  | { type: 'removeFinalizer' }
  | { type: 'deleteChildren' }
  | { type: 'deleteRun' }
  | { type: 'failInvalid'; reason: InvalidReason; message: string }
  | { type: 'startAttempt'; attempt: number }
  | { type: 'collectResult' }
  | { type: 'failSystem'; message: string }
  | { type: 'requeueAfter'; ms: number };


// How often a live run is looked at even when no event arrives (a safety net, not the trigger).
const RUNNING_RECHECK_MS = 30_000;

export function isTerminal(phase: Phase | undefined): boolean {
  return phase === 'Completed' || phase === 'Failed';
}

export function planRun(run: RunView, validity: Validity, pod: PodView, now: Date, config: PlanConfig): Action[] {
  if (run.deleting) {
    return run.hasFinalizer ? [{ type: 'deleteChildren' }, { type: 'removeFinalizer' }] : [];
  }

  if (isTerminal(run.phase)) {
    return planFinished(run, pod, now);
  }

  if (!run.hasFinalizer) {
    return [{ type: 'addFinalizer' }];
  }

  // A run that already started is never re-validated: its Runtime may change or vanish meanwhile,
  // and the program must still get the verdict of the run it began.
  if (run.podName === undefined) {
    if (validity.kind === 'invalid') return [{ type: 'failInvalid', reason: validity.reason, message: validity.message }];
    if (validity.kind === 'waitingForReference') {
      const waited = now.getTime() - run.createdAt.getTime();
      if (waited >= config.referenceGraceMs) return [{ type: 'failInvalid', reason: 'ReferenceNotFound', message: validity.message }];
      return [{ type: 'requeueAfter', ms: Math.min(1000, config.referenceGraceMs - waited) }];
    }
    return [{ type: 'startAttempt', attempt: run.attempts + 1 }];
  }

  if (run.path === 'warm') {
    // A warm attempt's exec lives inside the reconcile that claimed the pod; one found still
    // Running here lost it (operator restarted, connection broken) and cannot be resumed.
    if (run.attempts >= config.maxAttempts) {
      return [
        { type: 'failSystem', message: `the warm run's exec was lost ${run.attempts} times; giving up after ${config.maxAttempts} attempts` },
        { type: 'deleteChildren' },
      ];
    }
    return [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: run.attempts + 1 }];
  }

  switch (pod.kind) {
    case 'absent':
      // The pod of a live attempt is gone (evicted, deleted by hand, node lost): a fresh attempt.
      if (run.attempts >= config.maxAttempts) {
        return [
          { type: 'failSystem', message: `the sandbox pod disappeared ${run.attempts} times; giving up after ${config.maxAttempts} attempts` },
          { type: 'deleteChildren' },
        ];
      }
      return [{ type: 'startAttempt', attempt: run.attempts + 1 }];
    case 'pending':
      return planPending(pod, now, config);
    case 'running':
      return [{ type: 'requeueAfter', ms: RUNNING_RECHECK_MS }];
    case 'finished':
      return [{ type: 'collectResult' }, { type: 'deleteChildren' }];
  }
}

function planFinished(run: RunView, pod: PodView, now: Date): Action[] {
  const actions: Action[] = [];
  // Children are deleted right after the terminal status is written; this repeats it after a
  // restart in between. Deleting what is already gone is a no-op at the edge.
  if (pod.kind !== 'absent') actions.push({ type: 'deleteChildren' });
  if (run.ttlSecondsAfterFinished !== undefined && run.finishedAt !== undefined) {
    const expiresAt = run.finishedAt.getTime() + run.ttlSecondsAfterFinished * 1000;
    if (now.getTime() >= expiresAt) return [...actions, { type: 'deleteRun' }];
    actions.push({ type: 'requeueAfter', ms: expiresAt - now.getTime() });
  }
  if (run.hasFinalizer && !actions.some((a) => a.type === 'deleteChildren')) {
    // Nothing is left to clean up when it is deleted; the finalizer has done its job.
    actions.push({ type: 'removeFinalizer' });
  }
  return actions;
}

function planPending(pod: Extract<PodView, { kind: 'pending' }>, now: Date, config: PlanConfig): Action[] {
  if (pod.waitingReason !== undefined && START_FAILURES.has(pod.waitingReason)) {
    return [
      { type: 'failSystem', message: `the sandbox pod cannot start: ${pod.waitingReason}: ${pod.waitingMessage ?? 'no detail'}` },
      { type: 'deleteChildren' },
    ];
  }
  const pendingFor = now.getTime() - pod.createdAt.getTime();
  if (pendingFor >= config.podStartTimeoutMs) {
    const why = pod.unschedulableMessage !== undefined ? `it cannot be scheduled: ${pod.unschedulableMessage}` : `reason: ${pod.waitingReason ?? 'unknown'}`;
    return [
      { type: 'failSystem', message: `the sandbox pod did not start within ${Math.round(config.podStartTimeoutMs / 1000)} s; ${why}` },
      { type: 'deleteChildren' },
    ];
  }
  return [{ type: 'requeueAfter', ms: Math.min(1000, config.podStartTimeoutMs - pendingFor) }];
}
