import { planReconcile, planRun, type Action, type ExecView, type PlanConfig, type PodView, type RunView, type Validity } from './plan.js';

const now = new Date('2026-11-22T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const config: PlanConfig = { referenceGraceMs: 10_000, podStartTimeoutMs: 120_000, runtimeReadyWaitMs: 60_000, maxAttempts: 3 };

const fresh: RunView = {
  deleting: false,
  hasFinalizer: true,
  phase: undefined,
  podName: undefined,
  attempts: 0,
  createdAt: ago(1000),
  startedAt: undefined,
  finishedAt: undefined,
  ttlSecondsAfterFinished: undefined,
};
const started: RunView = { ...fresh, phase: 'Running', podName: 'run-abc-1', attempts: 1, startedAt: ago(500) };
const completed: RunView = { ...started, phase: 'Completed', finishedAt: ago(100) };
const valid: Validity = { kind: 'valid' };
const absent: PodView = { kind: 'absent' };
const ready: PodView = { kind: 'running', ready: true };
const none: ExecView = { kind: 'none' };
const awaiting: ExecView = { kind: 'awaitingPod' };
const executing: ExecView = { kind: 'running' };
const resulted: ExecView = { kind: 'done', sandboxFailure: undefined };
const failed = (why: string): ExecView => ({ kind: 'done', sandboxFailure: why });
const pending = (overrides: Partial<Extract<PodView, { kind: 'pending' }>> = {}): PodView => ({
  kind: 'pending',
  createdAt: ago(1000),
  waitingReason: undefined,
  waitingMessage: undefined,
  unschedulableMessage: undefined,
  ...overrides,
});

const scenarios: Array<[string, RunView, Validity, PodView, ExecView, Action[]]> = [
  ['a new run gets the finalizer first', { ...fresh, hasFinalizer: false }, valid, absent, none, [{ type: 'addFinalizer' }]],
  ['a valid new run starts attempt 1', fresh, valid, absent, none, [{ type: 'startAttempt', attempt: 1 }]],
  [
    'an invalid run fails with the message, once, without retry',
    fresh,
    { kind: 'invalid', reason: 'RuntimeNotFound', message: 'there is no Runtime named "cobol"' },
    absent,
    none,
    [{ type: 'failInvalid', reason: 'RuntimeNotFound', message: 'there is no Runtime named "cobol"' }],
  ],
  [
    'a missing ConfigMap is waited for during the grace',
    { ...fresh, createdAt: ago(4000) },
    { kind: 'waitingForReference', message: 'ConfigMap big not found' },
    absent,
    none,
    [{ type: 'requeueAfter', ms: 1000 }],
  ],
  [
    'a ConfigMap still missing after the grace fails the run',
    { ...fresh, createdAt: ago(10_000) },
    { kind: 'waitingForReference', message: 'ConfigMap big not found' },
    absent,
    none,
    [{ type: 'failInvalid', reason: 'ReferenceNotFound', message: 'ConfigMap big not found' }],
  ],
  [
    'a Runtime that is not Ready is waited for: the program is not blamed',
    { ...fresh, createdAt: ago(4000) },
    { kind: 'waitingForRuntime', message: 'Runtime java is not Ready (SelfTestRunning): ...' },
    absent,
    none,
    [{ type: 'requeueAfter', ms: 1000 }],
  ],
  [
    'a Runtime still not Ready after the wait ends the run in SystemError naming its condition',
    { ...fresh, createdAt: ago(60_000) },
    { kind: 'waitingForRuntime', message: 'Runtime java is not Ready (ImageNotFound): no image' },
    absent,
    none,
    [{ type: 'failSystem', cause: 'RuntimeNotReady', message: 'Runtime java is not Ready (ImageNotFound): no image; gave up waiting after 60 s' }],
  ],
  [
    'a started run is not re-validated when its Runtime changes',
    started,
    { kind: 'invalid', reason: 'RuntimeNotFound', message: 'there is no Runtime named "python3"' },
    ready,
    executing,
    [{ type: 'requeueAfter', ms: 30_000 }],
  ],
  ['a cold pod that is Ready gets its job', started, valid, ready, awaiting, [{ type: 'sendJob' }]],
  ['a cold pod that runs but is not Ready yet is looked at again soon', started, valid, { kind: 'running', ready: false }, awaiting, [{ type: 'requeueAfter', ms: 1000 }]],
  ['a running execution is left alone (its end enqueues the run)', started, valid, ready, executing, [{ type: 'requeueAfter', ms: 30_000 }]],
  ['an execution with a result is judged, then cleaned up', started, valid, ready, resulted, [{ type: 'finishAttempt' }, { type: 'deleteChildren' }]],
  ['a warm execution with a result is judged, then its pod is released or deleted', { ...started, path: 'warm' }, valid, ready, resulted, [{ type: 'finishAttempt' }, { type: 'releasePod' }]],
  [
    'a warm sandbox failure never releases its pod: a fresh pod is used',
    { ...started, path: 'warm' },
    valid,
    ready,
    failed('the runner failed: the sandbox is not pristine'),
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 2, retrying: 'the runner failed: the sandbox is not pristine', cause: 'RunnerFailed' }],
  ],
  [
    'a sandbox failure (runner crash, lost exec) is retried in a fresh pod, never judged',
    started,
    valid,
    ready,
    failed('the runner ended with exit code 137'),
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 2, retrying: 'the runner ended with exit code 137', cause: 'RunnerFailed' }],
  ],
  [
    'sandbox failures stop at the attempt bound, saying why',
    { ...started, attempts: 3 },
    valid,
    ready,
    failed('the runner ended with exit code 137'),
    [{ type: 'failSystem', cause: 'RunnerFailed', message: 'the runner ended with exit code 137; giving up after 3 attempts' }, { type: 'deleteChildren' }],
  ],
  [
    'a cold pod that disappeared before its job was sent gets a fresh attempt',
    started,
    valid,
    absent,
    awaiting,
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 2, retrying: 'the sandbox pod disappeared before the job was sent', cause: 'PodLost' }],
  ],
  [
    'a cold pod that ended before its job was sent gets a fresh attempt',
    started,
    valid,
    { kind: 'finished' },
    awaiting,
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 2, retrying: 'the sandbox pod ended before the job was sent', cause: 'PodLost' }],
  ],
  [
    'an attempt this process does not hold (restart, new leader) lost its exec: its pod goes, a fresh attempt starts',
    { ...started, path: 'warm' },
    valid,
    ready,
    none,
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 2, retrying: 'attempt 1 was lost (the operator restarted or changed leader while it ran)', cause: 'AttemptLost' }],
  ],
  [
    'a lost cold attempt is retried the same way',
    { ...started, attempts: 2 },
    valid,
    { kind: 'finished' },
    none,
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 3, retrying: 'attempt 2 was lost (the operator restarted or changed leader while it ran)', cause: 'AttemptLost' }],
  ],
  [
    'attempts that keep getting lost end in SystemError',
    { ...started, path: 'warm', attempts: 3 },
    valid,
    ready,
    none,
    [
      { type: 'failSystem', cause: 'AttemptLost', message: 'attempt 3 was lost (the operator restarted or changed leader while it ran); giving up after 3 attempts' },
      { type: 'deleteChildren' },
    ],
  ],
  ['a finished warm run whose pod is still there cleans it up', { ...completed, path: 'warm' }, valid, ready, none, [{ type: 'deleteChildren' }]],
  [
    'a pod that keeps disappearing ends in SystemError',
    { ...started, attempts: 3 },
    valid,
    absent,
    awaiting,
    [
      { type: 'failSystem', cause: 'PodLost', message: 'the sandbox pod disappeared before the job was sent; giving up after 3 attempts' },
      { type: 'deleteChildren' },
    ],
  ],
  [
    'a missing image is a SystemError at once, naming the cause',
    started,
    valid,
    pending({ waitingReason: 'ErrImageNeverPull', waitingMessage: 'image "coderun.local/nope:1" is not present' }),
    awaiting,
    [
      { type: 'failSystem', cause: 'PodStartFailed', message: 'the sandbox pod cannot start: ErrImageNeverPull: image "coderun.local/nope:1" is not present' },
      { type: 'deleteChildren' },
    ],
  ],
  ['a pod pending for a short while is waited for', started, valid, pending(), awaiting, [{ type: 'requeueAfter', ms: 1000 }]],
  [
    'an unschedulable pod is a SystemError after the start timeout',
    started,
    valid,
    pending({ createdAt: ago(120_000), unschedulableMessage: '0/1 nodes are available: 1 Insufficient memory.' }),
    awaiting,
    [
      {
        type: 'failSystem',
        cause: 'PodStartTimeout',
        message: 'the sandbox pod did not start within 120 s; it cannot be scheduled: 0/1 nodes are available: 1 Insufficient memory.',
      },
      { type: 'deleteChildren' },
    ],
  ],
  ['a finished run whose pod is gone only drops its finalizer', completed, valid, absent, none, [{ type: 'removeFinalizer' }]],
  ['a finished run whose pod survived a restart is cleaned up', completed, valid, { kind: 'finished' }, none, [{ type: 'deleteChildren' }]],
  [
    'a finished run with a TTL waits for it',
    { ...completed, hasFinalizer: false, ttlSecondsAfterFinished: 60 },
    valid,
    absent,
    none,
    [{ type: 'requeueAfter', ms: 59_900 }],
  ],
  [
    'a finished run past its TTL is deleted',
    { ...completed, hasFinalizer: false, ttlSecondsAfterFinished: 0 },
    valid,
    absent,
    none,
    [{ type: 'deleteRun' }],
  ],
  [
    'a deleted run cleans up its children, then lets go',
    { ...started, deleting: true },
    valid,
    ready,
    executing,
    [{ type: 'deleteChildren' }, { type: 'removeFinalizer' }],
  ],
  ['a deleted run without finalizer needs nothing', { ...completed, deleting: true, hasFinalizer: false }, valid, absent, none, []],
];

describe('planRun', () => {
  test.each(scenarios)('%s', (_name, run, validity, pod, exec, expected) => {
    expect(planRun(run, validity, pod, exec, now, config)).toEqual(expected);
  });
});

describe('planReconcile', () => {
  it('adds the finalizer and starts a new run in the same pass', () => {
    expect(planReconcile({ ...fresh, hasFinalizer: false }, valid, absent, none, now, config)).toEqual([{ type: 'addFinalizer' }, { type: 'startAttempt', attempt: 1 }]);
  });
  it('adds the finalizer and refuses an invalid run in the same pass', () => {
    const invalid: Validity = { kind: 'invalid', reason: 'InvalidSpec', message: 'spec.source: is required' };
    expect(planReconcile({ ...fresh, hasFinalizer: false }, invalid, absent, none, now, config)).toEqual([
      { type: 'addFinalizer' },
      { type: 'failInvalid', reason: 'InvalidSpec', message: 'spec.source: is required' },
    ]);
  });
  it('plans like planRun otherwise', () => {
    expect(planReconcile(started, valid, ready, awaiting, now, config)).toEqual(planRun(started, valid, ready, awaiting, now, config));
  });
});
