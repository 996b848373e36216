import type { CodeRunSpec, TestVerdict } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import { resolveJudge, type ResolvedJudge } from './checker.js';
import { checkerVerdict } from './checker-verdict.js';
import { buildJobDocument } from './job-document.js';
import { listReferences, resolveInputs } from './inputs.js';
import { resolveLimits, type ResolvedLimits } from '../../sandbox/limits.js';
import { DEFAULT_SANDBOX_CONFIG, coldRunDeadlineSeconds, maxResultBytes, runMemoryMiB } from '../../sandbox/pod.js';
import { JobDocumentSchema, parseResultDocument, type CheckerRun } from '../../sandbox/runner-protocol.js';
import { scoringPlan } from './scoring.js';
import { CPP, LIMITS, PYTHON3, passedTest } from '../../sandbox/test-fixtures.js';
import { judgeRun } from './verdict.js';

const limits = PYTHON3.limits.default;

function checkerRun(exitCode: number | null, stderr = '', changes: Partial<CheckerRun> = {}): CheckerRun {
  return {
    exitCode, signal: null, cpuTimeMillis: 5, wallTimeMillis: 6, memoryKiB: 1000, stdout: Buffer.alloc(0), stderr: Buffer.from(stderr),
    stdoutTruncated: false, stderrTruncated: false, limitExceeded: null, ...changes,
  };
}

describe('checkerVerdict (testlib protocol)', () => {
  test.each<[string, CheckerRun | undefined, TestVerdict, string, number | undefined]>([
    ['exit 0', checkerRun(0, 'ok 3 numbers\n'), 'Accepted', 'ok 3 numbers', undefined],
    ['exit 0, silent', checkerRun(0), 'Accepted', 'the checker accepted the output', undefined],
    ['exit 1', checkerRun(1, 'wrong answer expected 3, found 4'), 'WrongAnswer', 'wrong answer expected 3, found 4', undefined],
    ['exit 2', checkerRun(2, 'extra tokens'), 'WrongAnswer', 'presentation error: extra tokens', undefined],
    ['exit 7, half', checkerRun(7, 'points 0.5\nhalf of the pairs'), 'WrongAnswer', "partial points: 0.5 of the test's points (half of the pairs)", 0.5],
    ['exit 7, full', checkerRun(7, 'points 1'), 'Accepted', 'the checker gave full points', 1],
    ['exit 7, zero', checkerRun(7, 'points 0'), 'WrongAnswer', 'partial points: 0', 0],
    ['exit 7 without points', checkerRun(7, 'half'), 'SystemError', 'without a line "points F"', undefined],
    ['exit 7 above 1', checkerRun(7, 'points 30'), 'SystemError', 'F from 0 to 1', undefined],
    ['exit 3', checkerRun(3, 'FAIL answer file is empty'), 'SystemError', 'reported its own failure (exit code 3) (a fault of the problem\'s checker, not of the program); it printed: FAIL answer file is empty', undefined],
    ['exit 4', checkerRun(4), 'SystemError', 'exited with code 4, which testlib\'s protocol does not define', undefined],
    ['a crash', checkerRun(null, '', { signal: 11 }), 'SystemError', 'was killed by signal 11 (SIGSEGV)', undefined],
    ['a limit', checkerRun(null, 'looping', { signal: 9, limitExceeded: 'cpuTime' }), 'SystemError', 'exceeded its CPU time limit of 2000 ms', undefined],
    ['no run', undefined, 'SystemError', 'no checker run', undefined],
  ])('%s', (_name, run, verdict, message, fraction) => {
    const judged = checkerVerdict(run, limits);
    expect(judged.verdict).toBe(verdict);
    expect(judged.message).toContain(message);
    expect(judged.fraction).toBe(fraction);
  });
});

const runtimes = { checker: { ...PYTHON3, sourceFile: 'check.py' } satisfies RuntimeSpec };
const spec: CodeRunSpec = {
  runtime: 'python3',
  source: { inline: 'print(1)' },
  tests: [{ name: '1', stdin: '1\n', expectedStdout: '1 2\n' }],
  checker: { runtime: 'checker', source: { inline: 'import sys' }, files: [{ path: 'lib.py', content: 'x' }], limits: { cpuTimeMillis: 500 } },
};

describe('resolveJudge', () => {
  test('a checker with a Runtime of the same image, its limits over the Runtime defaults', () => {
    expect(resolveJudge('checker', spec, PYTHON3, { spec: runtimes.checker })).toEqual({
      runtime: runtimes.checker,
      limits: { run: { ...PYTHON3.limits.default, cpuTimeMillis: 500 }, compile: undefined },
    });
  });

  test('a spec without a checker has none', () => {
    expect(resolveJudge('checker', { ...spec, checker: undefined }, PYTHON3, undefined)).toBeUndefined();
  });

  test.each<[string, CodeRunSpec, unknown, string, string]>([
    ['no such Runtime', spec, undefined, 'RuntimeNotFound', 'spec.checker.runtime: there is no Runtime named "checker"'],
    ['an invalid Runtime', spec, { spec: { image: 'x' } }, 'RuntimeInvalid', 'the Runtime checker is invalid'],
    ['another image', spec, { spec: { ...runtimes.checker, image: 'gcc:14' } }, 'InvalidSpec', "the Runtime checker runs image gcc:14, the program's Runtime python3 runs python:3.12-slim"],
    ['a limit over its max', { ...spec, checker: { ...spec.checker!, limits: { cpuTimeMillis: 99_999 } } }, { spec: runtimes.checker }, 'LimitsAboveMaximum', 'spec.checker.limits.cpuTimeMillis 99999 exceeds'],
    [
      'more memory than the program Runtime allows',
      spec,
      { spec: { ...runtimes.checker, limits: { default: { ...limits, memoryMiB: 2048 }, max: { ...limits, memoryMiB: 4096 } } } },
      'LimitsAboveMaximum',
      "the checker needs 2048 MiB (its limits or its Runtime's compile step), over the 1024 MiB",
    ],
    ['a file at its source path', { ...spec, checker: { ...spec.checker!, files: [{ path: 'check.py', content: '' }] } }, { spec: runtimes.checker }, 'InvalidSpec', 'spec.checker.files[0].path: "check.py"'],
  ])('refuses %s', (_name, s, runtime, reason, message) => {
    const resolved = resolveJudge('checker', s, PYTHON3, runtime);
    expect(resolved).toMatchObject({ valid: false, reason });
    expect(resolved && 'message' in resolved ? resolved.message : '').toContain(message);
  });
});

describe('the job with a checker', () => {
  const checker = resolveJudge('checker', spec, PYTHON3, { spec: { ...runtimes.checker, compile: CPP.compile } }) as ResolvedJudge;
  const doc = buildJobDocument(spec, PYTHON3, { ...resolveLimits(undefined, PYTHON3), checker: checker.limits }, {
    source: 'print(1)',
    files: [],
    tests: [{ name: '1', stdin: '1\n', expectedStdout: '1 2\n' }, { name: '2', stdin: '', expectedStdout: undefined }],
    checker: { source: 'import sys', files: [{ path: 'lib.py', content: 'x' }] },
  }, { checker });

  test('gives each test its answer and the checker its source, files, commands and limits', () => {
    expect(doc.tests).toEqual([{ name: '1', stdin: '1\n', answer: '1 2\n' }, { name: '2', stdin: '', answer: '' }]);
    expect(doc.checker).toEqual({
      files: [{ path: 'check.py', content: 'import sys', encoding: 'utf8' }, { path: 'lib.py', content: 'x', encoding: 'utf8' }],
      compile: { command: CPP.compile?.command },
      compileLimits: PYTHON3.limits.max,
      run: { command: ['python3', 'main.py'] },
      limits: { ...limits, cpuTimeMillis: 500 },
    });
    expect(JobDocumentSchema.parse(doc)).toEqual(doc);
  });

  test('a job without a checker sends no answer: expected outputs stay in the operator', () => {
    const plain = buildJobDocument({ ...spec, checker: undefined }, PYTHON3, resolveLimits(undefined, PYTHON3), {
      source: '', files: [], tests: [{ name: '1', stdin: '', expectedStdout: 'secret' }],
    });
    expect(JSON.stringify(plain)).not.toContain('secret');
  });
});

describe('judging with a checker', () => {
  const wire = (c: object | undefined) => ({
    name: '1', exitCode: 0, signal: null, cpuTimeMillis: 3, wallTimeMillis: 4, memoryKiB: 1200, stdout: '2 1\n', stdoutEncoding: 'utf8',
    stderr: '', stderrEncoding: 'utf8', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null, ...(c && { checker: c }),
  });
  const checkerWire = (exitCode: number, stderr: string) => ({
    exitCode, signal: null, cpuTimeMillis: 1, wallTimeMillis: 2, memoryKiB: 900, stdout: '', stdoutEncoding: 'utf8',
    stderr: Buffer.from(stderr).toString('base64'), stderrEncoding: 'base64', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null,
  });
  const checkerLimits = { ...LIMITS, checker: { run: limits, compile: limits } };
  const judge = (doc: object, points?: number) => {
    const parsed = parseResultDocument(JSON.stringify({ compile: null, error: null, ...doc }));
    if (!parsed.ok) throw new Error(parsed.message);
    return judgeRun({
      outcome: { kind: 'result', result: parsed.result },
      tests: [{ name: '1', expectedStdout: Buffer.from('1 2\n') }],
      compare: undefined,
      limits: checkerLimits,
      stopOnFirstFailure: false,
      scoring: scoringPlan({ tests: [{ name: '1', points }] }),
    });
  };

  test('the checker, not the comparison, decides: another order is accepted', () => {
    const judged = judge({ tests: [wire(checkerWire(0, 'ok a permutation'))] });
    expect([judged.verdict, judged.tests[0]?.message]).toEqual(['Accepted', 'ok a permutation']);
  });

  test('partial points count in the score', () => {
    const judged = judge({ tests: [wire(checkerWire(7, 'points 0.25\n'))] }, 40);
    expect(judged.verdict).toBe('WrongAnswer');
    expect(judged.score).toMatchObject({ score: 10, maxScore: 40 });
  });

  test('a checker that fails is a SystemError of the run, quoting it', () => {
    const judged = judge({ tests: [wire(checkerWire(3, 'FAIL bad answer file'))] });
    expect(judged.verdict).toBe('SystemError');
    expect(judged.message).toContain('it printed: FAIL bad answer file');
  });

  test('a program that crashed is judged without the checker', () => {
    const judged = judge({ tests: [{ ...wire(undefined), exitCode: 1 }] });
    expect([judged.verdict, judged.message]).toEqual(['RuntimeError', 'RuntimeError on test 1: exit code 1']);
  });

  test('a checker that did not compile is a SystemError, never a CompilationError', () => {
    const checkerCompile = { exitCode: 1, signal: null, output: 'check.cpp:1: error: expected ;', outputEncoding: 'utf8', outputTruncated: false, cpuTimeMillis: 1, wallTimeMillis: 1, limitExceeded: null };
    const judged = judge({ checkerCompile, tests: [] });
    expect(judged.verdict).toBe('SystemError');
    expect(judged.message).toBe("the checker did not compile (a fault of the problem's checker, not of the program): compilation failed with exit code 1; it printed: check.cpp:1: error: expected ;");
  });

  test('a passing compile of the checker reaches the tests', () => {
    const checkerCompile = { exitCode: 0, signal: null, output: '', outputEncoding: 'utf8', outputTruncated: false, cpuTimeMillis: 1, wallTimeMillis: 1, limitExceeded: null };
    expect(judge({ checkerCompile, tests: [wire(checkerWire(1, 'wrong answer'))] }).verdict).toBe('WrongAnswer');
  });
});

test('a run with a checker still judges the program first: a limit wins', () => {
  const judged = judgeRun({
    outcome: { kind: 'result', result: { compile: null, error: null, tests: [passedTest('1', 'x', { cpuTimeMillis: 5000, checker: checkerRun(0) })] } },
    tests: [{ name: '1', expectedStdout: Buffer.from('x') }],
    compare: undefined,
    limits: { ...LIMITS, checker: { run: limits, compile: undefined } },
    stopOnFirstFailure: false,
    scoring: { kind: 'none' },
  });
  expect(judged.verdict).toBe('TimeLimitExceeded');
});

test("the checker's source may come from a ConfigMap, like the program's", () => {
  const fromMap: CodeRunSpec = { ...spec, checker: { runtime: 'checker', source: { configMapKeyRef: { name: 'problem-1', key: 'check.py' } } } };
  expect(listReferences(fromMap).map((r) => r.field)).toEqual(['spec.checker.source.configMapKeyRef']);
  const resolved = resolveInputs(fromMap, { configMap: () => ({ data: { 'check.py': 'print("ok")' } }), secret: () => undefined });
  expect(resolved).toMatchObject({ kind: 'ok', inputs: { checker: { source: 'print("ok")', files: [] } } });
});

describe('a sandbox with a checker', () => {
  const small = { ...limits, memoryMiB: 64, wallTimeMillis: 1000, outputBytes: 1000 };
  const withChecker: ResolvedLimits = { run: small, compile: undefined, checker: { run: { ...small, memoryMiB: 300, wallTimeMillis: 2000 }, compile: { ...small, wallTimeMillis: 10_000 } } };

  test('holds the checker memory, the checker compile step and a check after each test in its deadline', () => {
    expect(runMemoryMiB(withChecker)).toBe(300);
    expect(coldRunDeadlineSeconds(withChecker, 3, { ...DEFAULT_SANDBOX_CONFIG, deadlineMarginSeconds: 10 })).toBe(10 + 3 * (1 + 2) + 10);
  });

  test("makes room in the result for the checker's outputs", () => {
    // stdout and stderr of 3 tests and 3 checks, the checker's compiler output; base64'd, plus the rest.
    expect(maxResultBytes(withChecker, 3)).toBe(Math.ceil(((2 * 3 * (1000 + 1000) + 1000) * 4) / 3) + 3 * 1024 + 64 * 1024);
  });
});
