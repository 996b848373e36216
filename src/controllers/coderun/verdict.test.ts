import type { Compare, TestVerdict } from '../../crds/coderun.js';
import type { CompileResult, ResultDocument } from '../../sandbox/runner-protocol.js';
import { runSteps } from './steps.js';
import { LIMITS, passedTest, type TestChanges } from '../../sandbox/test-fixtures.js';
import { signalText } from './signals.js';
import { judgeRun, judgeRunAsync, judgeTest, type JudgeInput } from './verdict.js';

const limits = LIMITS.run; // cpu 2000 ms, wall 5000 ms, 256 MiB, 65536 output bytes, 16 processes
const bytes = (text: string | undefined) => (text === undefined ? undefined : Buffer.from(text, 'utf8'));

describe('judgeTest', () => {
  test.each<[string, TestChanges, string | undefined, TestVerdict, string]>([
    ['exit 0, output matches', { stdout: '3\n' }, '3\n', 'Accepted', 'output matches'],
    ['exit 0, no expected output', { stdout: 'anything' }, undefined, 'Accepted', 'exit code 0'],
    ['exit 0, output differs', { stdout: '4\n' }, '3\n', 'WrongAnswer', 'expected "3\\n", got "4\\n"'],
    ['exit 3', { exitCode: 3, stdout: '3\n' }, '3\n', 'RuntimeError', 'exit code 3'],
    ['segfault', { exitCode: null, signal: 11 }, '3\n', 'RuntimeError', 'signal 11 (SIGSEGV)'],
    ['abort', { exitCode: null, signal: 6 }, undefined, 'RuntimeError', 'signal 6 (SIGABRT)'],
    ['cpu limit flagged', { exitCode: null, signal: 9, cpuTimeMillis: 2010, limitExceeded: 'cpuTime' }, '3\n', 'TimeLimitExceeded', 'CPU time limit of 2000 ms exceeded (used 2010 ms)'],
    ['wall limit flagged', { exitCode: null, signal: 9, wallTimeMillis: 5001, limitExceeded: 'wallTime' }, '3\n', 'TimeLimitExceeded', 'wall time limit of 5000 ms exceeded'],
    ['cpu over limit, not flagged', { cpuTimeMillis: 2001, stdout: '3\n' }, '3\n', 'TimeLimitExceeded', 'CPU time limit'],
    ['wall over limit, not flagged', { wallTimeMillis: 5200, stdout: '3\n' }, '3\n', 'TimeLimitExceeded', 'wall time limit'],
    ['SIGXCPU', { exitCode: null, signal: 24 }, undefined, 'TimeLimitExceeded', 'CPU time limit'],
    ['memory flagged', { exitCode: null, signal: 9, memoryKiB: 262000, limitExceeded: 'memory' }, '3\n', 'MemoryLimitExceeded', 'memory limit of 256 MiB exceeded (peak 262000 KiB)'],
    ['memory over limit, not flagged', { memoryKiB: 256 * 1024 + 1 }, undefined, 'MemoryLimitExceeded', 'memory limit of 256 MiB'],
    ['memory exactly at the limit', { memoryKiB: 256 * 1024, stdout: '3\n' }, '3\n', 'Accepted', 'output matches'],
    ['output flagged', { stdoutTruncated: true, limitExceeded: 'output' }, '3\n', 'OutputLimitExceeded', 'output limit of 65536 bytes'],
    ['stdout truncated, not flagged', { stdoutTruncated: true }, '3\n', 'OutputLimitExceeded', 'output limit'],
    ['stderr truncated', { stderrTruncated: true, stdout: '3\n' }, '3\n', 'OutputLimitExceeded', 'output limit'],
    ['file size flagged', { exitCode: null, signal: 25, limitExceeded: 'fileSize' }, undefined, 'OutputLimitExceeded', 'file size limit of 1048576 bytes'],
    ['SIGXFSZ, not flagged', { exitCode: null, signal: 25 }, undefined, 'OutputLimitExceeded', 'file size limit'],
    ['process limit', { exitCode: 1, limitExceeded: 'processes' }, undefined, 'RuntimeError', 'process limit of 16 reached'],
    ['a limit wins over a wrong answer', { stdout: '4\n', cpuTimeMillis: 3000 }, '3\n', 'TimeLimitExceeded', 'CPU time'],
    ['neither exit code nor signal', { exitCode: null, signal: null }, undefined, 'SystemError', 'neither an exit code nor a signal'],
  ])('%s', (_name, changes, expected, verdict, message) => {
    const judged = runSteps(judgeTest(passedTest('1', '', changes), bytes(expected), { mode: 'exact' }, limits));
    expect(judged.verdict).toBe(verdict);
    expect(judged.message).toContain(message);
  });

  test('comparison uses the compare mode', () => {
    const test = passedTest('1', '3   \n');
    expect(runSteps(judgeTest(test, bytes('3\n'), { mode: 'exact' }, limits)).verdict).toBe('WrongAnswer');
    expect(runSteps(judgeTest(test, bytes('3\n'), { mode: 'trimTrailingWhitespace' }, limits)).verdict).toBe('Accepted');
  });
});

const compiled: CompileResult = { exitCode: 0, signal: null, output: Buffer.alloc(0), outputTruncated: false, cpuTimeMillis: 900, wallTimeMillis: 1000, limitExceeded: null };

function input(result: Partial<ResultDocument>, overrides: Partial<JudgeInput> = {}): JudgeInput {
  return {
    outcome: { kind: 'result', result: { compile: null, tests: [], error: null, ...result } },
    tests: [
      { name: '1', expectedStdout: bytes('3\n') },
      { name: '2', expectedStdout: bytes('5\n') },
      { name: '3', expectedStdout: bytes('7\n') },
    ],
    compare: undefined,
    limits: LIMITS,
    stopOnFirstFailure: false,
    scoring: { kind: 'none' },
    ...overrides,
  };
}

const three = (second: TestChanges, third: TestChanges = {}) => [
  passedTest('1', '3\n'),
  passedTest('2', '5\n', second),
  passedTest('3', '7\n', third),
];

describe('judgeRun', () => {
  test.each<[string, JudgeInput, string, string]>([
    ['all tests pass', input({ tests: three({}) }), 'Accepted', 'Accepted: all 3 tests passed'],
    ['a single run without expected output', input({ tests: [passedTest('main', 'hi')] }, { tests: [{ name: 'main', expectedStdout: undefined }] }), 'Accepted', 'Accepted: exit code 0'],
    ['the first failing test decides', input({ tests: three({ stdout: '6\n' }, { exitCode: 1 }) }), 'WrongAnswer', 'WrongAnswer on test 2: '],
    ['a runtime error after a pass', input({ tests: three({ exitCode: 139 }) }), 'RuntimeError', 'RuntimeError on test 2: exit code 139'],
    ['a TLE by wall time', input({ tests: three({}, { limitExceeded: 'wallTime', wallTimeMillis: 5000, exitCode: null, signal: 9 }) }), 'TimeLimitExceeded', 'on test 3: wall time'],
    ['an MLE', input({ tests: three({ limitExceeded: 'memory', exitCode: null, signal: 9 }) }), 'MemoryLimitExceeded', 'on test 2'],
    ['an OLE', input({ tests: three({ limitExceeded: 'output', stdoutTruncated: true }) }), 'OutputLimitExceeded', 'on test 2'],
    ['compilation failed', input({ compile: { ...compiled, exitCode: 1, output: Buffer.from('main.cpp:1: error') } }), 'CompilationError', 'compilation failed with exit code 1'],
    ['compiler killed', input({ compile: { ...compiled, exitCode: null, signal: 9 } }), 'CompilationError', 'compiler was killed by signal 9 (SIGKILL)'],
    ['compile time limit', input({ compile: { ...compiled, exitCode: null, signal: 9, limitExceeded: 'wallTime' } }), 'CompilationError', 'compilation exceeded its wall time limit'],
    ['compiled, then accepted', input({ compile: compiled, tests: three({}) }), 'Accepted', 'all 3 tests passed'],
    ['runner error', input({ error: 'cannot write main.py: read-only file system' }), 'SystemError', 'the runner failed: cannot write main.py'],
    ['a missing test result', input({ tests: [passedTest('1', '3\n')] }), 'SystemError', 'no result for test "2"'],
    ['a test without exit code or signal', input({ tests: three({}, { exitCode: null }) }), 'SystemError', 'on test 3'],
    ['SystemError wins over an earlier failure', input({ tests: three({ stdout: 'x' }, { exitCode: null }) }), 'SystemError', 'on test 3'],
    ['sandbox failure', input({}, { outcome: { kind: 'sandboxFailure', message: 'image gcc:99 cannot be pulled' } }), 'SystemError', 'image gcc:99 cannot be pulled'],
  ])('%s', (_name, judgeInput, verdict, message) => {
    const judgement = judgeRun(judgeInput);
    expect(judgement.verdict).toBe(verdict);
    expect(judgement.message).toContain(message);
  });

  test('every test gets its own verdict when stopOnFirstFailure is off', () => {
    const judgement = judgeRun(input({ tests: three({ stdout: '6\n' }, { exitCode: 2 }) }));
    expect(judgement.tests.map((t) => t.verdict)).toEqual(['Accepted', 'WrongAnswer', 'RuntimeError']);
  });

  test('tests after the first failure are Skipped with stopOnFirstFailure', () => {
    const judgement = judgeRun(input({ tests: three({ stdout: '6\n' }) }, { stopOnFirstFailure: true }));
    expect(judgement.verdict).toBe('WrongAnswer');
    expect(judgement.tests.map((t) => t.verdict)).toEqual(['Accepted', 'WrongAnswer', 'Skipped']);
    expect(judgement.tests[2]?.result).toBeUndefined();
  });

  test('results are matched by name, not position', () => {
    const [a, b, c] = three({});
    const judgement = judgeRun(input({ tests: [c!, a!, b!] }));
    expect(judgement.verdict).toBe('Accepted');
    expect(judgement.tests.map((t) => t.name)).toEqual(['1', '2', '3']);
  });

  test('a compilation error keeps the compiler output and judges no test', () => {
    const judgement = judgeRun(input({ compile: { ...compiled, exitCode: 1, output: Buffer.from('error: x') }, tests: [] }));
    expect(judgement.compile?.output).toEqual(Buffer.from('error: x'));
    expect(judgement.tests).toEqual([]);
  });

  test('float compare reaches the tests', () => {
    const compare: Compare = { mode: 'float', absTolerance: 0.01 };
    const judgement = judgeRun(
      input({ tests: [passedTest('1', '3.005\n')] }, { tests: [{ name: '1', expectedStdout: bytes('3') }], compare }),
    );
    expect(judgement.verdict).toBe('Accepted');
  });
});

describe('judging bytes', () => {
  test('FF FE is a WrongAnswer against two U+FFFD (the bytes they used to be decoded to)', () => {
    const ffFe = { ...passedTest('1', ''), stdout: Buffer.from([0xff, 0xfe]) };
    const judgement = judgeRun(input({ tests: [ffFe] }, { tests: [{ name: '1', expectedStdout: bytes('\uFFFD\uFFFD') }] }));
    expect(judgement.verdict).toBe('WrongAnswer');
    expect(judgement.message).toContain('got "\\xff\\xfe"');
  });

  test('the same bytes that are not UTF-8 are Accepted in exact mode', () => {
    const test = { ...passedTest('1', ''), stdout: Buffer.from([0xff, 0xfe]) };
    expect(runSteps(judgeTest(test, Buffer.from([0xff, 0xfe]), undefined, limits)).verdict).toBe('Accepted');
  });
});

describe('judgeRunAsync', () => {
  test.each<[string, JudgeInput]>([
    ['accepted', input({ tests: three({}) })],
    ['a wrong answer', input({ tests: three({ stdout: '6\n' }) })],
    ['a compilation error', input({ compile: { ...compiled, exitCode: 1 } })],
    ['a sandbox failure', input({}, { outcome: { kind: 'sandboxFailure', message: 'gone' } })],
  ])('judges as judgeRun does: %s', async (_name, judgeInput) => {
    await expect(judgeRunAsync(judgeInput)).resolves.toEqual(judgeRun(judgeInput));
  });

  test('lets the event loop run while it judges a large output', async () => {
    const big = `${' '.repeat(4 << 20)}x\n`;
    const judgeInput = input({ tests: [passedTest('1', big)] }, { tests: [{ name: '1', expectedStdout: bytes(big) }], compare: { mode: 'trimTrailingWhitespace' } });
    let turns = 0;
    const turn = () => {
      turns++;
      timer = setImmediate(turn);
    };
    let timer = setImmediate(turn);
    const judgement = await judgeRunAsync(judgeInput);
    clearImmediate(timer);
    expect(judgement.verdict).toBe('Accepted');
    expect(turns).toBeGreaterThan(10); // about one per 64 KiB slice
  });
});

test.each([
  [11, 'signal 11 (SIGSEGV)'],
  [8, 'signal 8 (SIGFPE)'],
  [64, 'signal 64'],
])('signalText(%d)', (signal, text) => {
  expect(signalText(signal)).toBe(text);
});
