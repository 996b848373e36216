// The CodeRun reconcile decision: what the cluster looks like now → the next actions.
// Pure, so every scenario (restart in the middle, lost pod, stale cache, TTL) is a table row.
// The reconciler observes (informer caches, with an API read where a cache miss would be
// decisive), calls planRun, and carries the actions out in order.

import type { Phase, RunPath } from '../../crds/coderun.js';
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
  | { kind: 'waitingForReference'; message: string }
  /** Its Runtime is not Ready (its self-test has not passed): wait a while, then SystemError. */
  | { kind: 'waitingForRuntime'; message: string };

/** The sandbox pod of the current attempt as observed (cache, or an API read on a cache miss). */
export type PodView =
  | { kind: 'absent' }
  | { kind: 'pending'; createdAt: Date; waitingReason: string | undefined; waitingMessage: string | undefined; unschedulableMessage: string | undefined }
  /** Started; `ready` once its container runs and the pod is Ready, so an exec can reach the runner. */
  | { kind: 'running'; ready: boolean }
  | { kind: 'finished' };

/**
 * The current attempt's execution as this process holds it. An execution is an exec connection,
 * so it lives only in the process that started it: after a restart or a change of leader there is
 * none, and an attempt that was Running cannot be resumed.
 */
export type ExecView =
  | { kind: 'none' }
  /** A cold attempt this process started: its job goes in through an exec once the pod is ready. */
  | { kind: 'awaitingPod' }
  | { kind: 'running' }
  /** The exec ended, with the runner's result or with a failure of the sandbox (never the program's). */
  | { kind: 'done'; sandboxFailure: string | undefined };

export interface PlanConfig {
  /** How long a missing ConfigMap/Secret reference is waited for before the run fails. */
  referenceGraceMs: number;
  /** How long a pod may stay Pending (image, scheduling) before the run is a SystemError. */
  podStartTimeoutMs: number;
  /** How long a run waits for its Runtime to be Ready before it is a SystemError (never the program's fault). */
  runtimeReadyWaitMs: number;
  /** Attempts before a run whose sandbox keeps failing (pod lost, runner failed, exec lost) is a SystemError. */
  maxAttempts: number;
}

/**
 * Why the platform failed an attempt or a run, a bounded metrics label: the pod could not start
 * (image, config), did not start in time, was lost, the runner failed, the attempt was lost with
 * the operator that ran it, a retry found the run's inputs gone, or the Runtime never got Ready.
 */
export const PLATFORM_FAILURE_CAUSES = ['PodStartFailed', 'PodStartTimeout', 'PodLost', 'RunnerFailed', 'AttemptLost', 'InputsLost', 'RuntimeNotReady'] as const;
export type PlatformFailureCause = (typeof PLATFORM_FAILURE_CAUSES)[number];
/** The causes a plan decides; InputsLost is found when a retry prepares its attempt. */
export type SandboxFailureCause = Exclude<PlatformFailureCause, 'InputsLost' | 'RuntimeNotReady'>;

export type Action =
  | { type: 'addFinalizer' }
  | { type: 'removeFinalizer' }
  | { type: 'deleteChildren' }
  | { type: 'deleteRun' }
  | { type: 'failInvalid'; reason: InvalidReason; message: string }
  /** `retrying`: why the previous attempt failed (`cause` its kind), when this one replaces it. */
  | { type: 'startAttempt'; attempt: number; retrying?: string; cause?: SandboxFailureCause }
  /** Send the job into the ready cold pod (an exec outside the reconcile). */
  | { type: 'sendJob' }
  /** Judge the finished execution's result and write the terminal status. */
  | { type: 'finishAttempt' }
  /**
   * After a warm run that ended cleanly (the runner's complete result, exit 0): its pool pod goes
   * back to the pool if its Runtime and the pod allow it, else it is deleted like any children.
   */
  | { type: 'releasePod' }
  | { type: 'failSystem'; cause: SandboxFailureCause | 'RuntimeNotReady'; message: string }
  | { type: 'requeueAfter'; ms: number };


/** Events that say a pod's container can never start; with pull policy Never nothing will change. */
export const START_FAILURES: ReadonlySet<string> = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

// How often a live run is looked at even when no event arrives (a safety net, not the trigger:
// an execution's end and every pod change enqueue the run).
const RUNNING_RECHECK_MS = 30_000;
const POD_READY_RECHECK_MS = 1000;

export function isTerminal(phase: Phase | undefined): boolean {
  return phase === 'Completed' || phase === 'Failed';
}

export function planRun(run: RunView, validity: Validity, pod: PodView, exec: ExecView, now: Date, config: PlanConfig): Action[] {
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
    if (validity.kind === 'waitingForRuntime') {
      const waited = now.getTime() - run.createdAt.getTime();
      if (waited >= config.runtimeReadyWaitMs) return [{ type: 'failSystem', cause: 'RuntimeNotReady', message: `${validity.message}; gave up waiting after ${Math.round(config.runtimeReadyWaitMs / 1000)} s` }];
      return [{ type: 'requeueAfter', ms: Math.min(1000, config.runtimeReadyWaitMs - waited) }];
    }
    return [{ type: 'startAttempt', attempt: run.attempts + 1 }];
  }

  // A failure of the sandbox is never the program's: a fresh attempt in a fresh pod, a bounded
  // number of times (a program that fails its sandbox on purpose cannot make the platform loop).
  const retry = (cause: SandboxFailureCause, why: string): Action[] =>
    run.attempts >= config.maxAttempts
      ? [{ type: 'failSystem', cause, message: `${why}; giving up after ${config.maxAttempts} attempts` }, { type: 'deleteChildren' }]
      : [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: run.attempts + 1, retrying: why, cause }];

  switch (exec.kind) {
    case 'none':
      return retry('AttemptLost', `attempt ${run.attempts} was lost (the operator restarted or changed leader while it ran)`);
    case 'running':
      return [{ type: 'requeueAfter', ms: RUNNING_RECHECK_MS }];
    case 'done':
      if (exec.sandboxFailure !== undefined) return retry('RunnerFailed', exec.sandboxFailure);
      // A warm pod whose runner ended cleanly may serve another run (warmPool.runsPerPod).
      return [{ type: 'finishAttempt' }, run.path === 'warm' ? { type: 'releasePod' } : { type: 'deleteChildren' }];
    case 'awaitingPod':
      switch (pod.kind) {
        case 'absent':
          // Evicted, deleted by hand, node lost.
          return retry('PodLost', 'the sandbox pod disappeared before the job was sent');
        case 'pending':
          return planPending(pod, now, config);
        case 'running':
          return pod.ready ? [{ type: 'sendJob' }] : [{ type: 'requeueAfter', ms: POD_READY_RECHECK_MS }];
        case 'finished':
          return retry('PodLost', 'the sandbox pod ended before the job was sent');
      }
  }
}

/**
 * The actions of one reconcile, planned once from what was observed: a new run gets its finalizer
 * and, in the same pass, its first actions (waiting for the finalizer's watch event would cost a
 * round trip through a busy API server in a burst).
 */
export function planReconcile(run: RunView, validity: Validity, pod: PodView, exec: ExecView, now: Date, config: PlanConfig): Action[] {
  const actions = planRun(run, validity, pod, exec, now, config);
  if (actions[0]?.type !== 'addFinalizer') return actions;
  return [actions[0], ...planRun({ ...run, hasFinalizer: true }, validity, pod, exec, now, config)];
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
    // A missing image or a broken container config does not heal: no retry.
    return [
      { type: 'failSystem', cause: 'PodStartFailed', message: `the sandbox pod cannot start: ${pod.waitingReason}: ${pod.waitingMessage ?? 'no detail'}` },
      { type: 'deleteChildren' },
    ];
  }
  const pendingFor = now.getTime() - pod.createdAt.getTime();
  if (pendingFor >= config.podStartTimeoutMs) {
    const why = pod.unschedulableMessage !== undefined ? `it cannot be scheduled: ${pod.unschedulableMessage}` : `reason: ${pod.waitingReason ?? 'unknown'}`;
    return [
      { type: 'failSystem', cause: 'PodStartTimeout', message: `the sandbox pod did not start within ${Math.round(config.podStartTimeoutMs / 1000)} s; ${why}` },
      { type: 'deleteChildren' },
    ];
  }
  return [{ type: 'requeueAfter', ms: Math.min(1000, config.podStartTimeoutMs - pendingFor) }];
}
