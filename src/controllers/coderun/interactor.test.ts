import type { CodeRunSpec, TestVerdict } from '../../crds/coderun.js';
import { CodeRunSpecSchema } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import { INTERACTOR_WALL_MARGIN_MILLIS, resolveJudge, type ResolvedJudge } from './checker.js';
import { interactiveVerdict } from './interactor-verdict.js';
import { buildJobDocument } from './job-document.js';
import { listReferences, resolveInputs } from './inputs.js';
import { resolveLimits, type ResolvedLimits } from '../../sandbox/limits.js';
import { DEFAULT_SANDBOX_CONFIG, coldRunDeadlineSeconds, runMemoryMiB } from '../../sandbox/pod.js';
import { JobDocumentSchema, parseResultDocument, type CheckerRun, type TestResult } from '../../sandbox/runner-protocol.js';
import { scoringPlan } from './scoring.js';
import { LIMITS, PYTHON3 } from '../../sandbox/test-fixtures.js';
import { judgeRun, type TestVerdictResult } from './verdict.js';

const limits = PYTHON3.limits.default;

function run(exitCode: number | null, stderr = '', changes: Partial<CheckerRun> = {}): CheckerRun {
  return {
    exitCode, signal: null, cpuTimeMillis: 5, wallTimeMillis: 6, memoryKiB: 1000, stdout: Buffer.alloc(0), stderr: Buffer.from(stderr),
    stdoutTruncated: false, stderrTruncated: false, limitExceeded: null, ...changes,
  };
}

const ok: TestVerdictResult = { verdict: 'Accepted', message: 'exit code 0' };
const tle: TestVerdictResult = { verdict: 'TimeLimitExceeded', message: 'wall time limit of 1000 ms exceeded (ran 1003 ms)' };
const crashed: TestVerdictResult = { verdict: 'RuntimeError', message: 'exit code 3' };
const piped: TestVerdictResult = { verdict: 'RuntimeError', message: 'killed by signal 13 (SIGPIPE)' };
const clean = { signal: null, limitExceeded: null } as const;

describe('interactiveVerdict: the program\'s limits, then the interactor\'s faults, SIGPIPE, crashes, then testlib', () => {
  test.each<[string, Pick<TestResult, 'signal' | 'limitExceeded'>, TestVerdictResult, CheckerRun | undefined, TestVerdict, string]>([
    ['both fine', clean, ok, run(0, 'guessed 37 in 6'), 'Accepted', 'guessed 37 in 6'],
    ['the interactor rejects', clean, ok, run(1, 'too many guesses'), 'WrongAnswer', 'too many guesses'],
    ['presentation error', clean, ok, run(2, 'expected a number'), 'WrongAnswer', 'presentation error: expected a number'],
    ['partial points', clean, ok, run(7, 'points 0.5\n'), 'WrongAnswer', 'partial points: 0.5'],
    ['the program timed out, the interactor gave up waiting', { signal: 9, limitExceeded: 'wallTime' }, tle, run(2, 'unexpected EOF'), 'TimeLimitExceeded', 'wall time limit'],
    ['the program timed out, the interactor hit its own limit too', { signal: 9, limitExceeded: 'wallTime' }, tle, run(null, '', { signal: 9, limitExceeded: 'wallTime' }), 'TimeLimitExceeded', 'wall time limit'],
    ['the interactor failed (exit 3)', clean, crashed, run(3, 'FAIL bad input'), 'SystemError', "a fault of the problem's interactor, not of the program); it printed: FAIL bad input"],
    ['the interactor crashed', clean, crashed, run(null, '', { signal: 11 }), 'SystemError', 'the interactor was killed by signal 11 (SIGSEGV)'],
    ['the interactor hung', clean, ok, run(null, '', { signal: 9, limitExceeded: 'wallTime' }), 'SystemError', 'the interactor exceeded its wall time limit'],
    ['no interactor run', clean, ok, undefined, 'SystemError', 'no interactor run'],
    ['the program wrote after the verdict (SIGPIPE)', { signal: 13, limitExceeded: null }, piped, run(1, 'too many guesses'), 'WrongAnswer', 'too many guesses'],
    ['SIGPIPE after an accepted interaction', { signal: 13, limitExceeded: null }, piped, run(0, 'guessed'), 'Accepted', 'guessed'],
    ['the program crashed, the interactor accepted', clean, crashed, run(0), 'RuntimeError', 'exit code 3'],
    ['the program crashed, the interactor rejected', clean, crashed, run(1, 'no'), 'RuntimeError', 'exit code 3'],
  ])('%s', (_name, program, ran, interactor, verdict, message) => {
    const judged = interactiveVerdict(program, ran, interactor, limits);
    expect(judged.verdict).toBe(verdict);
    expect(judged.message).toContain(message);
  });
});

const runtimes = { interactor: { ...PYTHON3, sourceFile: 'interact.py' } satisfies RuntimeSpec };
const spec: CodeRunSpec = {
  runtime: 'python3',
  source: { inline: 'print(50)' },
  tests: [{ name: '1', stdin: '37\n' }],
  interactor: { runtime: 'interactor', source: { inline: 'import sys' }, limits: { cpuTimeMillis: 500, wallTimeMillis: 100 } },
};

describe('spec.interactor', () => {
  test.each<[string, CodeRunSpec, string | undefined]>([
    ['an interactor with tests', spec, undefined],
    ['with a checker too', { ...spec, checker: { runtime: 'python3', source: { inline: 'x' } } }, 'an interactor gives the verdict itself; remove the checker'],
    ['with compare', { ...spec, compare: { mode: 'exact' } }, 'the interactor judges the run; remove compare'],
    ['without tests', { ...spec, tests: undefined, stdin: '1' }, 'an interactor judges tests'],
  ])('%s', (_name, s, refusal) => {
    const parsed = CodeRunSpecSchema.safeParse(s);
    if (refusal === undefined) expect(parsed.success).toBe(true);
    else expect(parsed.error?.issues.map((i) => i.message)).toEqual(expect.arrayContaining([expect.stringContaining(refusal)]));
  });

  test('resolves with its own Runtime and limits; its wall time covers the program\'s and a margin', () => {
    const program = resolveLimits({ wallTimeMillis: 3000 }, PYTHON3).run;
    const resolved = resolveJudge('interactor', spec, PYTHON3, { spec: runtimes.interactor }, program) as ResolvedJudge;
    expect(resolved.runtime.sourceFile).toBe('interact.py');
    expect(resolved.limits.run).toEqual({ ...limits, cpuTimeMillis: 500, wallTimeMillis: 3000 + INTERACTOR_WALL_MARGIN_MILLIS });
  });

  test('must run in the program\'s image, and fit beside the program in its pod', () => {
    const other = resolveJudge('interactor', spec, PYTHON3, { spec: { ...runtimes.interactor, image: 'gcc:14' } }, limits);
    expect(other).toMatchObject({ valid: false, message: expect.stringContaining('spec.interactor.runtime: the Runtime interactor runs image gcc:14') });
    const big = { ...limits, memoryMiB: PYTHON3.limits.max.memoryMiB };
    const crowded = resolveJudge('interactor', spec, PYTHON3, { spec: runtimes.interactor }, big);
    expect(crowded).toMatchObject({ valid: false, reason: 'LimitsAboveMaximum', message: expect.stringContaining('runs beside the program') });
  });

  test('its source is a reference like the program\'s (so the webhook authorizes it)', () => {
    const fromSecret: CodeRunSpec = { ...spec, interactor: { runtime: 'interactor', source: { secretKeyRef: { name: 'problem-1', key: 'interact.py' } } } };
    expect(listReferences(fromSecret).map((r) => r.field)).toEqual(['spec.interactor.source.secretKeyRef']);
    const resolved = resolveInputs(fromSecret, { configMap: () => undefined, secret: () => ({ data: { 'interact.py': Buffer.from('print(1)').toString('base64') } }) });
    expect(resolved).toMatchObject({ kind: 'ok', inputs: { interactor: { source: 'print(1)', files: [] } } });
  });

  test('the job gives the interactor its program part and each test its answer; no checker', () => {
    const interactor = resolveJudge('interactor', spec, PYTHON3, { spec: runtimes.interactor }, limits) as ResolvedJudge;
    const doc = buildJobDocument(spec, PYTHON3, { ...resolveLimits(undefined, PYTHON3), interactor: interactor.limits }, {
      source: 'print(50)', files: [], tests: [{ name: '1', stdin: '37\n', expectedStdout: undefined }],
      interactor: { source: 'import sys', files: [{ path: 'lib.py', content: 'x' }] },
    }, { interactor });
    expect(doc.tests).toEqual([{ name: '1', stdin: '37\n', answer: '' }]);
    expect(doc.checker).toBeUndefined();
    expect(doc.interactor).toMatchObject({
      files: [{ path: 'interact.py', content: 'import sys', encoding: 'utf8' }, { path: 'lib.py', content: 'x', encoding: 'utf8' }],
      run: { command: runtimes.interactor.run.command },
      limits: interactor.limits.run,
    });
    expect(JobDocumentSchema.parse(doc)).toEqual(doc);
  });

  test('the sandbox holds both sides at once, and each test once at the longer wall limit', () => {
    const small = { ...limits, memoryMiB: 64, wallTimeMillis: 1000 };
    const both: ResolvedLimits = { run: small, compile: undefined, interactor: { run: { ...small, memoryMiB: 100, wallTimeMillis: 2000 }, compile: { ...small, memoryMiB: 150, wallTimeMillis: 5000 } } };
    expect(runMemoryMiB(both)).toBe(164);
    expect(coldRunDeadlineSeconds(both, 3, { ...DEFAULT_SANDBOX_CONFIG, deadlineMarginSeconds: 10 })).toBe(5 + 3 * 2 + 10);
  });
});

describe('judging an interactive run', () => {
  const wire = (changes: object, interactor: object | undefined) => ({
    name: '1', exitCode: 0, signal: null, cpuTimeMillis: 3, wallTimeMillis: 4, memoryKiB: 1200, stdout: '', stdoutEncoding: 'utf8',
    stderr: '', stderrEncoding: 'utf8', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null, ...changes, ...(interactor && { interactor }),
  });
  const side = (exitCode: number | null, stderr: string, changes: object = {}) => ({
    exitCode, signal: null, cpuTimeMillis: 1, wallTimeMillis: 2, memoryKiB: 900, stdout: '', stdoutEncoding: 'utf8',
    stderr, stderrEncoding: 'utf8', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null, ...changes,
  });
  const judge = (doc: object) => {
    const parsed = parseResultDocument(JSON.stringify({ compile: null, error: null, ...doc }));
    if (!parsed.ok) throw new Error(parsed.message);
    return judgeRun({
      outcome: { kind: 'result', result: parsed.result },
      tests: [{ name: '1', expectedStdout: undefined }],
      compare: undefined,
      limits: { ...LIMITS, interactor: { run: limits, compile: limits } },
      stopOnFirstFailure: false,
      scoring: scoringPlan({ tests: [{ name: '1' }] }),
    });
  };

  test.each<[string, object, TestVerdict, string]>([
    ['accepted', { tests: [wire({}, side(0, 'guessed 37 in 6'))] }, 'Accepted', 'Accepted: guessed 37 in 6'],
    ['rejected', { tests: [wire({}, side(1, 'too many guesses'))] }, 'WrongAnswer', 'WrongAnswer on test 1: too many guesses'],
    ['a program that never answered', { tests: [wire({ exitCode: null, signal: 9, limitExceeded: 'wallTime', wallTimeMillis: 2001 }, side(2, 'unexpected EOF'))] }, 'TimeLimitExceeded', 'TimeLimitExceeded on test 1: wall time limit'],
    ['a broken interactor', { tests: [wire({ exitCode: 3 }, side(null, '', { signal: 11 }))] }, 'SystemError', "a fault of the problem's interactor"],
    ['an interactor that did not compile', { interactorCompile: { exitCode: 1, signal: null, output: 'interact.c:1: error', outputEncoding: 'utf8', outputTruncated: false, cpuTimeMillis: 1, wallTimeMillis: 1, limitExceeded: null }, tests: [] }, 'SystemError', "the interactor did not compile (a fault of the problem's interactor, not of the program)"],
  ])('%s', (_name, doc, verdict, message) => {
    const judged = judge(doc);
    expect(judged.verdict).toBe(verdict);
    expect(judged.message).toContain(message);
  });
});
