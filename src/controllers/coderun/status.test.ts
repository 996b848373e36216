import { CodeRunStatusSchema } from '../../crds/coderun.js';
import type { ResultDocument } from '../../sandbox/runner-protocol.js';
import {
  buildFinishedStatus,
  buildInvalidStatus,
  buildRunningStatus,
  buildSystemErrorStatus,
  outputShare,
  statusOutput,
  truncateUtf8,
  type RunRecord,
} from './status.js';
import { LIMITS, passedTest } from '../../sandbox/test-fixtures.js';
import { judgeRun, type Judgement } from './verdict.js';

const started = new Date('2026-11-22T06:00:00.250Z');
const finished = new Date('2026-11-22T06:00:01.750Z');
const record: RunRecord = { path: 'cold', podName: 'sum-abc', attempts: 1, startedAt: started, observedGeneration: 1 };

function judged(result: Partial<ResultDocument>, expected: string[]): Judgement {
  return judgeRun({
    outcome: { kind: 'result', result: { compile: null, tests: [], error: null, ...result } },
    tests: expected.map((e, i) => ({ name: String(i + 1), expectedStdout: Buffer.from(e, 'utf8') })),
    compare: undefined,
    limits: LIMITS,
    stopOnFirstFailure: false,
    scoring: { kind: 'none' },
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

describe('statusOutput', () => {
  const bytes = (...values: number[]) => Buffer.from(values);
  test.each<[string, Buffer, number, ReturnType<typeof statusOutput>]>([
    ['UTF-8 text that fits', Buffer.from('h\u00e9llo\n'), 100, { text: 'h\u00e9llo\n', encoding: 'utf8', truncated: false }],
    ['text cut before a 2-byte character, never inside it', Buffer.from('h\u00e9llo'), 2, { text: 'h', encoding: 'utf8', truncated: true }],
    ['text cut after a whole character', Buffer.from('h\u00e9llo'), 3, { text: 'h\u00e9', encoding: 'utf8', truncated: true }],
    ['text cut before a 3-byte character', Buffer.from('\u20ac\u20ac'), 5, { text: '\u20ac', encoding: 'utf8', truncated: true }],
    ['text cut before a 4-byte character', Buffer.from('a\u{1f600}'), 4, { text: 'a', encoding: 'utf8', truncated: true }],
    ['nothing kept', Buffer.from('abc'), 0, { text: '', encoding: 'utf8', truncated: true }],
    ['empty', Buffer.alloc(0), 10, { text: '', encoding: 'utf8', truncated: false }],
    ['bytes that are not UTF-8, as base64', bytes(0xff, 0xfe), 100, { text: '//4=', encoding: 'base64', truncated: false }],
    ['binary cut to 3 bytes for every 4 characters of base64', bytes(0xff, 1, 2, 3, 4, 5, 6, 7), 8, { text: '/wECAwQF', encoding: 'base64', truncated: true }],
    ['binary with a budget that is not a multiple of 4', bytes(0xff, 1, 2, 3, 4, 5, 6, 7), 7, { text: '/wEC', encoding: 'base64', truncated: true }],
    ['bytes past the cut do not matter: the kept ones are text', Buffer.concat([Buffer.from('ok'), bytes(0xff)]), 2, { text: 'ok', encoding: 'utf8', truncated: true }],
    ['a character cut by the runner, inside the budget, is binary', Buffer.from('h\u00e9').subarray(0, 2), 100, { text: 'aMM=', encoding: 'base64', truncated: false }],
  ])('%s', (_name, output, max, kept) => {
    expect(statusOutput(output, max)).toEqual(kept);
    expect(Buffer.byteLength(statusOutput(output, max).text)).toBeLessThanOrEqual(max);
    expect(statusOutput(output, max).text).not.toContain('\uFFFD');
  });

  test('what is kept is a prefix of the output, whichever the encoding', () => {
    const output = Buffer.from([0x41, 0xc3, 0xa9, 0xff, 0x42, 0xe2, 0x82, 0xac, 0x43]);
    for (let max = 0; max <= output.length + 4; max++) {
      const kept = statusOutput(output, max);
      const restored = Buffer.from(kept.text, kept.encoding === 'base64' ? 'base64' : 'utf8');
      expect(output.subarray(0, restored.length)).toEqual(restored);
      expect(kept.truncated).toBe(restored.length < output.length);
    }
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
      { compile: { exitCode: 1, signal: null, output: Buffer.from('main.cpp:3: error: x'), outputTruncated: false, cpuTimeMillis: 400.4, wallTimeMillis: 500, limitExceeded: null } },
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

  test('outputs that are not UTF-8 are kept as base64, beside an encoding field', () => {
    const judgement = judged(
      {
        compile: { exitCode: 0, signal: null, output: Buffer.from([0x80, 0x0a]), outputTruncated: false, cpuTimeMillis: 400, wallTimeMillis: 500, limitExceeded: null },
        tests: [{ ...passedTest('1', '', { stderr: 'warning\n' }), stdout: Buffer.from([0xff, 0xfe]) }],
      },
      ['\uFFFD\uFFFD'],
    );
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished });
    expect(status.verdict).toBe('WrongAnswer');
    expect(status.tests?.[0]).toMatchObject({ stdout: '//4=', stdoutEncoding: 'base64', stderr: 'warning\n', truncated: false });
    expect(status.tests?.[0]).not.toHaveProperty('stderrEncoding');
    expect(status.compile).toMatchObject({ output: 'gAo=', outputEncoding: 'base64' });
    expect(CodeRunStatusSchema.parse(status)).toEqual(status);
  });

  test('text over the share is cut at a character boundary, never into U+FFFD', () => {
    const judgement = judged({ tests: [passedTest('1', '\u20ac'.repeat(100))] }, ['\u20ac'.repeat(100)]);
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: finished }, { outputBytes: 100, outputBudgetBytes: 1 << 20, messageBytes: 1024 });
    expect(status.tests?.[0]).toMatchObject({ verdict: 'Accepted', stdout: '\u20ac'.repeat(33), truncated: true });
    expect(status.tests?.[0]).not.toHaveProperty('stdoutEncoding');
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
