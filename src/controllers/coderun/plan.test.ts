import { planRun, type Action, type PlanConfig, type PodView, type RunView, type Validity } from './plan.js';

const now = new Date('2026-11-22T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const config: PlanConfig = { referenceGraceMs: 10_000, podStartTimeoutMs: 120_000, maxAttempts: 3 };

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
const pending = (overrides: Partial<Extract<PodView, { kind: 'pending' }>> = {}): PodView => ({
  kind: 'pending',
  createdAt: ago(1000),
  waitingReason: undefined,
  waitingMessage: undefined,
  unschedulableMessage: undefined,
  ...overrides,
});

const scenarios: Array<[string, RunView, Validity, PodView, Action[]]> = [
  ['a new run gets the finalizer first', { ...fresh, hasFinalizer: false }, valid, absent, [{ type: 'addFinalizer' }]],
  ['a valid new run starts attempt 1', fresh, valid, absent, [{ type: 'startAttempt', attempt: 1 }]],
  [
    'an invalid run fails with the message, once, without retry',
    fresh,
    { kind: 'invalid', reason: 'RuntimeNotFound', message: 'there is no Runtime named "cobol"' },
    absent,
    [{ type: 'failInvalid', reason: 'RuntimeNotFound', message: 'there is no Runtime named "cobol"' }],
  ],
  [
    'a missing ConfigMap is waited for during the grace',
    { ...fresh, createdAt: ago(4000) },
    { kind: 'waitingForReference', message: 'ConfigMap big not found' },
    absent,
    [{ type: 'requeueAfter', ms: 1000 }],
  ],
  [
    'a ConfigMap still missing after the grace fails the run',
    { ...fresh, createdAt: ago(10_000) },
    { kind: 'waitingForReference', message: 'ConfigMap big not found' },
    absent,
    [{ type: 'failInvalid', reason: 'ReferenceNotFound', message: 'ConfigMap big not found' }],
  ],
  [
    'a started run is not re-validated when its Runtime changes',
    started,
    { kind: 'invalid', reason: 'RuntimeNotFound', message: 'there is no Runtime named "python3"' },
    { kind: 'running' },
    [{ type: 'requeueAfter', ms: 30_000 }],
  ],
  ['a finished pod is collected, then cleaned up', started, valid, { kind: 'finished' }, [{ type: 'collectResult' }, { type: 'deleteChildren' }]],
  ['a pod that disappeared gets a fresh attempt', started, valid, absent, [{ type: 'startAttempt', attempt: 2 }]],
  [
    'a warm attempt found still Running lost its exec (restart, broken connection): its pod goes, a fresh attempt starts',
    { ...started, path: 'warm' },
    valid,
    { kind: 'running' },
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 2 }],
  ],
  [
    'a warm attempt whose claimed pod is gone too gets a fresh attempt',
    { ...started, path: 'warm', attempts: 2 },
    valid,
    absent,
    [{ type: 'deleteChildren' }, { type: 'startAttempt', attempt: 3 }],
  ],
  [
    'warm attempts that keep losing their exec end in SystemError',
    { ...started, path: 'warm', attempts: 3 },
    valid,
    { kind: 'running' },
    [
      { type: 'failSystem', message: "the warm run's exec was lost 3 times; giving up after 3 attempts" },
      { type: 'deleteChildren' },
    ],
  ],
  ['a finished warm run whose pod is still there cleans it up', { ...completed, path: 'warm' }, valid, { kind: 'running' }, [{ type: 'deleteChildren' }]],
  [
    'a pod that keeps disappearing ends in SystemError',
    { ...started, attempts: 3 },
    valid,
    absent,
    [
      { type: 'failSystem', message: 'the sandbox pod disappeared 3 times; giving up after 3 attempts' },
      { type: 'deleteChildren' },
    ],
  ],
  [
    'a missing image is a SystemError at once, naming the cause',
    started,
    valid,
    pending({ waitingReason: 'ErrImageNeverPull', waitingMessage: 'image "coderun.local/nope:1" is not present' }),
    [
      { type: 'failSystem', message: 'the sandbox pod cannot start: ErrImageNeverPull: image "coderun.local/nope:1" is not present' },
      { type: 'deleteChildren' },
    ],
  ],
  ['a pod pending for a short while is waited for', started, valid, pending(), [{ type: 'requeueAfter', ms: 1000 }]],
  [
    'an unschedulable pod is a SystemError after the start timeout',
    started,
    valid,
    pending({ createdAt: ago(120_000), unschedulableMessage: '0/1 nodes are available: 1 Insufficient memory.' }),
    [
      {
        type: 'failSystem',
        message: 'the sandbox pod did not start within 120 s; it cannot be scheduled: 0/1 nodes are available: 1 Insufficient memory.',
      },
      { type: 'deleteChildren' },
    ],
  ],
  ['a finished run whose pod is gone only drops its finalizer', completed, valid, absent, [{ type: 'removeFinalizer' }]],
  [
    'a finished run whose pod survived a restart is cleaned up',
    completed,
    valid,
    { kind: 'finished' },
    [{ type: 'deleteChildren' }],
  ],
  [
    'a finished run with a TTL waits for it',
    { ...completed, hasFinalizer: false, ttlSecondsAfterFinished: 60 },
    valid,
    absent,
    [{ type: 'requeueAfter', ms: 59_900 }],
  ],
  [
    'a finished run past its TTL is deleted',
    { ...completed, hasFinalizer: false, ttlSecondsAfterFinished: 0 },
    valid,
    absent,
    [{ type: 'deleteRun' }],
  ],
  [
    'a deleted run cleans up its children, then lets go',
    { ...started, deleting: true },
    valid,
    { kind: 'running' },
    [{ type: 'deleteChildren' }, { type: 'removeFinalizer' }],
  ],
  ['a deleted run without finalizer needs nothing', { ...completed, deleting: true, hasFinalizer: false }, valid, absent, []],
];

describe('planRun', () => {
  test.each(scenarios)('%s', (_name, run, validity, pod, expected) => {
    expect(planRun(run, validity, pod, now, config)).toEqual(expected);
  });
});
