import type { Compare, TestVerdict, Verdict } from '../../crds/coderun.js';
import type { FullLimits } from '../../crds/limits.js';
import { checkerCompileMessage, checkerVerdict } from './checker-verdict.js';
import { compareOutput } from './compare.js';
import { interactiveVerdict } from './interactor-verdict.js';
import type { ResolvedLimits } from '../../sandbox/limits.js';
import type { CompileResult, LimitKind, ResultDocument, TestResult } from '../../sandbox/runner-protocol.js';
import { signalText } from './signals.js';
import { judgingOrder, scoreRun, subtaskSkipReason, type RunScore, type ScoringPlan } from './scoring.js';
import { Meter, runSteps, runStepsAsync, type Steps } from './steps.js';

const SIGXCPU = 24;
const SIGXFSZ = 25;

export interface TestVerdictResult {
  verdict: TestVerdict;
  message: string;
  /** The share of the test's points earned, when not all or nothing (a checker's partial points). */
  fraction?: number;
}

function limitVerdict(kind: LimitKind, test: TestResult, limits: FullLimits): TestVerdictResult {
  switch (kind) {
    case 'cpuTime':
      return { verdict: 'TimeLimitExceeded', message: `CPU time limit of ${limits.cpuTimeMillis} ms exceeded (used ${test.cpuTimeMillis} ms)` };
    case 'wallTime':
      return { verdict: 'TimeLimitExceeded', message: `wall time limit of ${limits.wallTimeMillis} ms exceeded (ran ${test.wallTimeMillis} ms)` };
    case 'memory':
      return { verdict: 'MemoryLimitExceeded', message: `memory limit of ${limits.memoryMiB} MiB exceeded (peak ${test.memoryKiB} KiB)` };
    case 'output':
      return { verdict: 'OutputLimitExceeded', message: `output limit of ${limits.outputBytes} bytes exceeded` };
    case 'fileSize':
      return { verdict: 'OutputLimitExceeded', message: `file size limit of ${limits.fileSizeBytes} bytes exceeded` };
    case 'processes':
      return { verdict: 'RuntimeError', message: `process limit of ${limits.processes} reached` };
  }
}

/**
 * One test's verdict from what the runner measured. A limit the runner reports wins; a
 * measurement over its limit the runner did not flag still counts; then signals, exit code,
 * and last the output comparison (on the full stdout, counted on `meter`).
 */
export function* judgeTest(
  test: TestResult,
  expectedStdout: Buffer | undefined,
  compare: Compare | undefined,
  limits: FullLimits,
  meter: Meter = new Meter(),
): Steps<TestVerdictResult> {
  if (test.limitExceeded !== null) return limitVerdict(test.limitExceeded, test, limits);
  if (test.cpuTimeMillis > limits.cpuTimeMillis) return limitVerdict('cpuTime', test, limits);
  if (test.wallTimeMillis > limits.wallTimeMillis) return limitVerdict('wallTime', test, limits);
  if (test.memoryKiB > limits.memoryMiB * 1024) return limitVerdict('memory', test, limits);
  if (test.signal === SIGXCPU) return limitVerdict('cpuTime', test, limits);
  if (test.signal === SIGXFSZ) return limitVerdict('fileSize', test, limits);
  if (test.stdoutTruncated || test.stderrTruncated) return limitVerdict('output', test, limits);
  if (test.signal !== null) return { verdict: 'RuntimeError', message: `killed by ${signalText(test.signal)}` };
  if (test.exitCode === null) return { verdict: 'SystemError', message: 'the runner reported neither an exit code nor a signal' };
  if (test.exitCode !== 0) return { verdict: 'RuntimeError', message: `exit code ${test.exitCode}` };
  if (expectedStdout === undefined) return { verdict: 'Accepted', message: 'exit code 0' };
  const comparison = yield* compareOutput(test.stdout, expectedStdout, compare, meter);
  return comparison.equal ? { verdict: 'Accepted', message: 'output matches' } : { verdict: 'WrongAnswer', message: comparison.difference };
}

/** Why compilation failed, or undefined when it succeeded. */
export function compileFailure(compile: CompileResult, limits: FullLimits | undefined): string | undefined {
  if (compile.limitExceeded !== null) {
    const what: Record<LimitKind, string> = {
      cpuTime: `its CPU time limit${limits ? ` of ${limits.cpuTimeMillis} ms` : ''}`,
      wallTime: `its wall time limit${limits ? ` of ${limits.wallTimeMillis} ms` : ''}`,
      memory: `its memory limit${limits ? ` of ${limits.memoryMiB} MiB` : ''}`,
      output: 'its output limit',
      fileSize: 'its file size limit',
      processes: 'its process limit',
    };
    return `compilation exceeded ${what[compile.limitExceeded]}`;
  }
  if (compile.signal !== null) return `the compiler was killed by ${signalText(compile.signal)}`;
  if (compile.exitCode !== 0) return `compilation failed with exit code ${compile.exitCode ?? 'unknown'}`;
  return undefined;
}

export interface ExpectedTest {
  name: string;
  expectedStdout: Buffer | undefined;
}

/** What came back from the sandbox. */
export type RunOutcome =
  | { kind: 'result'; result: ResultDocument }
  /** The sandbox failed: no image, unschedulable, runner crashed, deadline. Never the program's fault. */
  | { kind: 'sandboxFailure'; message: string };

export interface JudgeInput {
  outcome: RunOutcome;
  tests: ExpectedTest[];
  compare: Compare | undefined;
  limits: ResolvedLimits;
  stopOnFirstFailure: boolean;
  scoring: ScoringPlan;
}

export interface TestJudgement extends TestVerdictResult {
  name: string;
  /** The runner's measurements; undefined for a test that has none (skipped). */
  result: TestResult | undefined;
}

export interface Judgement {
  verdict: Verdict;
  message: string;
  compile: CompileResult | undefined;
  tests: TestJudgement[];
  /** Undefined for a run without points or subtasks. */
  score?: RunScore | undefined;
}

// Skipped only ever follows a failure (in judging order, which subtasks may change), so it never decides the run.
const isRunVerdict = (v: TestVerdict): v is Verdict => v !== 'Skipped';

const NOT_JUDGED = 'not judged: an earlier test failed and stopOnFirstFailure is set';

function* judgeTests(input: JudgeInput, result: ResultDocument, meter: Meter): Steps<TestJudgement[] | string> {
  const byName = new Map(result.tests.map((t) => [t.name, t]));
  const judged = new Map<number, TestJudgement>();
  let failed = false;
  for (const index of judgingOrder(input.scoring, input.tests.length)) {
    const expected = input.tests[index];
    if (expected === undefined) return `the judging order names test ${index}, which the run does not have`;
    const test = byName.get(expected.name);
    if (test === undefined) return `the runner returned no result for test "${expected.name}"`;
    const skipped = failed && input.stopOnFirstFailure ? NOT_JUDGED : subtaskSkipReason(input.scoring, index, judged);
    if (skipped !== undefined) {
      judged.set(index, { name: expected.name, verdict: 'Skipped', message: skipped, result: undefined });
      continue;
    }
    const { checker, interactor } = input.limits;
    const ownJudge = checker !== undefined || interactor !== undefined;
    const ran = yield* judgeTest(test, ownJudge ? undefined : expected.expectedStdout, input.compare, input.limits.run, meter);
    let judgement = ran;
    if (checker && ran.verdict === 'Accepted') judgement = checkerVerdict(test.checker, checker.run);
    if (interactor) judgement = interactiveVerdict(test, ran, test.interactor, interactor.run);
    judged.set(index, { name: expected.name, ...judgement, result: test });
    failed ||= judgement.verdict !== 'Accepted';
  }
  return [...judged.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
}

/**
 * The run's verdict: SystemError when the sandbox or runner failed (never blamed on the
 * program), CompilationError, else the verdict of the first test that is not Accepted, else
 * Accepted.
 */
function* judge(input: JudgeInput, meter: Meter): Steps<Judgement> {
  const { outcome } = input;
  if (outcome.kind === 'sandboxFailure') return { verdict: 'SystemError', message: outcome.message, compile: undefined, tests: [] };
  const { result } = outcome;
  const compile = result.compile ?? undefined;
  if (result.error !== null) return { verdict: 'SystemError', message: `the runner failed: ${result.error}`, compile, tests: [] };
  if (compile) {
    const failure = compileFailure(compile, input.limits.compile);
    if (failure) return { verdict: 'CompilationError', message: failure, compile, tests: [] };
  }
  if (result.checkerCompile) {
    const failure = compileFailure(result.checkerCompile, input.limits.checker?.compile);
    if (failure) return { verdict: 'SystemError', message: checkerCompileMessage(failure, result.checkerCompile), compile, tests: [] };
  }
  if (result.interactorCompile) {
    const failure = compileFailure(result.interactorCompile, input.limits.interactor?.compile);
    if (failure) return { verdict: 'SystemError', message: checkerCompileMessage(failure, result.interactorCompile, 'interactor'), compile, tests: [] };
  }
  const tests = yield* judgeTests(input, result, meter);
  if (typeof tests === 'string') return { verdict: 'SystemError', message: tests, compile, tests: [] };
  const score = scoreRun(input.scoring, tests);
  const broken = tests.find((t) => t.verdict === 'SystemError');
  const first = broken ?? tests.find((t) => t.verdict !== 'Accepted' && isRunVerdict(t.verdict));
  if (first && isRunVerdict(first.verdict)) {
    return { verdict: first.verdict, message: `${first.verdict} on test ${first.name}: ${first.message}`, compile, tests, score };
  }
  const only = tests.length === 1 ? tests[0] : undefined;
  const message = only ? `Accepted: ${only.message}` : `Accepted: all ${tests.length} tests passed`;
  return { verdict: 'Accepted', message, compile, tests, score };
}

/** The run's verdict (see judge), judged at once: for pure code and tests, where nothing else waits. */
export function judgeRun(input: JudgeInput): Judgement {
  return runSteps(judge(input, new Meter()));
}

/** The run's verdict, judged in slices with the event loop let in between: how the operator judges. */
export function judgeRunAsync(input: JudgeInput): Promise<Judgement> {
  return runStepsAsync(judge(input, new Meter()));
}
