import { CodeRunStatusSchema } from '../../crds/coderun.js';
import type { ResultDocument } from './runner-protocol.js';
import {
  buildFinishedStatus,
  buildInvalidStatus,
  buildRunningStatus,
  buildSystemErrorStatus,
  outputShare,
  truncateUtf8,
  type RunRecord,
} from './status.js';
import { LIMITS, passedTest } from './test-fixtures.js';
import { judgeRun, type Judgement } from './verdict.js';

const started = new Date('2026-11-22T06:00:00.250Z');
const finished = new Date('2026-11-22T06:00:01.750Z');
const record: RunRecord = { path: 'cold', podName: 'sum-abc', attempts: 1, startedAt: started, observedGeneration: 1 };

function judged(result: Partial<ResultDocument>, expected: string[]): Judgement {
  return judgeRun({
    outcome: { kind: 'result', result: { compile: null, tests: [], error: null, ...result } },
    tests: expected.map((e, i) => ({ name: String(i + 1), expectedStdout: e })),
    compare: undefined,
    limits: LIMITS,
    stopOnFirstFailure: false,
  });
}

describe('truncateUtf8', () => {
  test.each<[string, number, string, boolean]>([
    ['hello', 10, 'hello', false],
    ['hello', 5, 'hello', false],
    ['hello', 3, 'hel', true],
    ['héllo', 2, 'h', true], // é is 2 bytes: never cut in half
    ['héllo', 3, 'hé', true],
    ['€€', 4, '€', true], // € is 3 bytes
    ['abc', 0, '', true],
  ])('%j to %d bytes', (text, max, out, truncated) => {
    expect(truncateUtf8(text, max)).toEqual({ text: out, truncated });
  });
});

describe('buildFinishedStatus', () => {
  test('an accepted run: phase, verdict, per-test results, maxima, timestamps, conditions', () => {
    const judgement = judged(
      { tests: [passedTest('1', '3\n', { cpuTimeMillis: 10, memoryKiB: 100 }), passedTest('2', '5\n', { cpuTimeMillis: 30, wallTimeMillis: 99, memoryKiB: 50 })] },
      ['3\n', '5\n'],
    );
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished });
    expect(status).toMatchObject({
      phase: 'Completed',
      verdict: 'Accepted',
      message: 'Accepted: all 2 tests passed',
      path: 'cold',
      podName: 'sum-abc',
      attempts: 1,
      startedAt: '2026-11-22T06:00:00.250Z',
      finishedAt: '2026-11-22T06:00:01.750Z',
      observedGeneration: 1,
      cpuTimeMillis: 30,
      wallTimeMillis: 99,
      memoryKiB: 100,
    });
    expect(status.tests?.[1]).toEqual({
      name: '2', verdict: 'Accepted', message: 'output matches', exitCode: 0, cpuTimeMillis: 30, wallTimeMillis: 99,
      memoryKiB: 50, stdout: '5\n', stderr: '', truncated: false,
    });
    expect(status.conditions).toEqual([
      { type: 'Valid', status: 'True', reason: 'Valid', message: 'the spec is valid', lastTransitionTime: '2026-11-22T06:00:01Z', observedGeneration: 1 },
      { type: 'Completed', status: 'True', reason: 'Accepted', message: 'Accepted: all 2 tests passed', lastTransitionTime: '2026-11-22T06:00:01Z', observedGeneration: 1 },
    ]);
    expect(CodeRunStatusSchema.parse(status)).toEqual(status);
  });

  test('a signal is recorded, an absent exit code left out', () => {
    const judgement = judged({ tests: [passedTest('1', '', { exitCode: null, signal: 11 })] }, ['3\n']);
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished });
    expect(status.verdict).toBe('RuntimeError');
    expect(status.tests?.[0]).toMatchObject({ signal: 11 });
    expect(status.tests?.[0]).not.toHaveProperty('exitCode');
  });

  test('a compilation error keeps the compiler output', () => {
    const judgement = judged(
      { compile: { exitCode: 1, signal: null, output: 'main.cpp:3: error: x', outputTruncated: false, cpuTimeMillis: 400.4, wallTimeMillis: 500, limitExceeded: null } },
      ['3\n'],
    );
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished });
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'CompilationError', tests: [] });
    expect(status.compile).toEqual({ exitCode: 1, output: 'main.cpp:3: error: x', truncated: false, cpuTimeMillis: 400, wallTimeMillis: 500 });
    expect(status).not.toHaveProperty('cpuTimeMillis');
  });

  test('output over the configured size is cut and flagged; the runner flag is kept', () => {
    const judgement = judged(
      { tests: [passedTest('1', 'x'.repeat(10_000)), passedTest('2', 'ok', { stderrTruncated: true, limitExceeded: 'output' })] },
      ['x'.repeat(10_000), 'ok'],
    );
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished }, { outputBytes: 100, outputBudgetBytes: 1 << 20, messageBytes: 1024 });
    expect(status.tests?.[0]).toMatchObject({ verdict: 'Accepted', stdout: 'x'.repeat(100), truncated: true });
    expect(status.tests?.[1]).toMatchObject({ verdict: 'OutputLimitExceeded', stdout: 'ok', truncated: true });
  });

  test('512 tests of 1 MiB output each keep the status far below the etcd limit', () => {
    const big = 'y'.repeat(1 << 20);
    const tests = Array.from({ length: 512 }, (_, i) => passedTest(String(i + 1), big, { stderr: big }));
    const judgement = judged({ tests }, tests.map(() => big));
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished });
    expect(judgement.verdict).toBe('Accepted');
    expect(Buffer.byteLength(JSON.stringify(status))).toBeLessThan(512 * 1024);
    expect(status.tests?.every((t) => t.truncated)).toBe(true);
  });

  test('a long message is cut', () => {
    const judgement: Judgement = { verdict: 'SystemError', message: 'm'.repeat(5000), compile: undefined, tests: [] };
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished });
    expect(status.message).toHaveLength(1024);
  });
});

test.each([
  [0, 4096],
  [10, 4096],
  [100, 1304],
  [512, 255],
])('outputShare for %d tests is %d bytes', (tests, share) => {
  expect(outputShare(tests, { outputBytes: 4096, outputBudgetBytes: 262_144, messageBytes: 1024 })).toBe(share);
});

test('buildSystemErrorStatus: phase Failed, verdict SystemError, the cause in the message', () => {
  const status = buildSystemErrorStatus({ ...record, message: 'image gcc:99 cannot be pulled: not found', finishedAt: finished });
  expect(status).toMatchObject({ phase: 'Failed', verdict: 'SystemError', message: 'image gcc:99 cannot be pulled: not found', tests: [], podName: 'sum-abc' });
  expect(status.conditions?.find((c) => c.type === 'Completed')).toMatchObject({ status: 'True', reason: 'SystemError' });
  expect(CodeRunStatusSchema.parse(status)).toEqual(status);
});

test('buildInvalidStatus: phase Failed, no verdict, Valid=False with the reason and message', () => {
  const message = 'spec.limits.memoryMiB 4096 exceeds the Runtime python3 maximum 1024; lower it to at most 1024';
  const status = buildInvalidStatus({ reason: 'LimitsAboveMaximum', message, now: finished, observedGeneration: 1 });
  expect(status).toEqual({
    phase: 'Failed',
    message,
    finishedAt: '2026-11-22T06:00:01.750Z',
    observedGeneration: 1,
    conditions: [{ type: 'Valid', status: 'False', reason: 'LimitsAboveMaximum', message, lastTransitionTime: '2026-11-22T06:00:01Z', observedGeneration: 1 }],
  });
  expect(status).not.toHaveProperty('verdict');
});

test('buildRunningStatus: phase Running with the pod and attempt', () => {
  const status = buildRunningStatus({ ...record, attempts: 2, now: started });
  expect(status).toMatchObject({ phase: 'Running', podName: 'sum-abc', attempts: 2, path: 'cold', startedAt: '2026-11-22T06:00:00.250Z' });
  expect(status).not.toHaveProperty('verdict');
});
