// A test's verdict from the checker's (or the interactor's) run, by testlib's protocol: exit 0
// accepted, 1 wrong answer, 2 presentation error, 3 the checker failed, 7 partial points
// ("points F" on stderr, F the share of the test's points from 0 to 1, as DMOJ reads it).
// Whatever else the checker does (another exit code, a signal, a limit, no run at all) is the
// problem setter's fault, never the program's: SystemError with what the checker printed.
import type { FullLimits } from '../../crds/limits.js';
import type { CheckerRun, CompileResult, LimitKind } from '../../sandbox/runner-protocol.js';
import { signalText } from './signals.js';
import type { TestVerdictResult } from './verdict.js';

/** testlib's exit codes. */
const EXIT = { accepted: 0, wrongAnswer: 1, presentationError: 2, fail: 3, points: 7 } as const;

/** How much of the checker's output a message quotes. */
const QUOTED_CHARS = 512;

/** The checker's message: testlib writes it on stderr; some checkers use stdout. */
function said(run: Pick<CheckerRun, 'stdout' | 'stderr'>): string {
  const text = (run.stderr.length > 0 ? run.stderr : run.stdout).toString('utf8').trim();
  return text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}...` : text;
}

const quoted = (text: string): string => (text === '' ? 'it printed nothing' : `it printed: ${text}`);

/** The checker judges a test after it ran; the interactor during it. */
export type Judge = 'checker' | 'interactor';

function checkerFault(what: string, run: CheckerRun, who: Judge): TestVerdictResult {
  return { verdict: 'SystemError', message: `the ${who} ${what} (a fault of the problem's ${who}, not of the program); ${quoted(said(run))}` };
}

const LIMIT_TEXT: Record<LimitKind, (l: FullLimits) => string> = {
  cpuTime: (l) => `CPU time limit of ${l.cpuTimeMillis} ms`,
  wallTime: (l) => `wall time limit of ${l.wallTimeMillis} ms`,
  memory: (l) => `memory limit of ${l.memoryMiB} MiB`,
  output: (l) => `output limit of ${l.outputBytes} bytes`,
  fileSize: (l) => `file size limit of ${l.fileSizeBytes} bytes`,
  processes: (l) => `process limit of ${l.processes}`,
};

const POINTS_LINE = /^points\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/m;

/** The verdict of a test whose program finished, given the checker's (who: or the interactor's) run on it. */
export function checkerVerdict(run: CheckerRun | undefined, limits: FullLimits, who: Judge = 'checker'): TestVerdictResult {
  if (run === undefined) return { verdict: 'SystemError', message: `the runner reported no ${who} run for the test` };
  if (run.limitExceeded !== null) return checkerFault(`exceeded its ${LIMIT_TEXT[run.limitExceeded](limits)}`, run, who);
  if (run.signal !== null) return checkerFault(`was killed by ${signalText(run.signal)}`, run, who);
  const message = said(run);
  switch (run.exitCode) {
    case EXIT.accepted:
      return { verdict: 'Accepted', message: message || `the ${who} accepted the output` };
    case EXIT.wrongAnswer:
      return { verdict: 'WrongAnswer', message: message || `the ${who} rejected the output` };
    case EXIT.presentationError:
      return { verdict: 'WrongAnswer', message: `presentation error${message ? `: ${message}` : ''}` };
    case EXIT.fail:
      return checkerFault('reported its own failure (exit code 3)', run, who);
    case EXIT.points: {
      const match = POINTS_LINE.exec(run.stderr.toString('utf8'));
      const fraction = match?.[1] === undefined ? NaN : Number(match[1]);
      if (!(fraction >= 0 && fraction <= 1)) return checkerFault('exited with 7 (partial points) without a line "points F" on stderr, F from 0 to 1', run, who);
      const rest = said({ stdout: run.stdout, stderr: Buffer.from(run.stderr.toString('utf8').replace(POINTS_LINE, '')) });
      if (fraction === 1) return { verdict: 'Accepted', message: rest || `the ${who} gave full points`, fraction };
      return { verdict: 'WrongAnswer', message: `partial points: ${fraction} of the test's points${rest ? ` (${rest})` : ''}`, fraction };
    }
    default:
      return checkerFault(`exited with code ${run.exitCode ?? 'unknown'}, which testlib's protocol does not define`, run, who);
  }
}

/** The run's message when the checker (who: or the interactor) did not compile (`failure` says how): SystemError. */
export function checkerCompileMessage(failure: string, compile: CompileResult, who: Judge = 'checker'): string {
  const output = compile.output.toString('utf8').trim();
  return `the ${who} did not compile (a fault of the problem's ${who}, not of the program): ${failure}; ${quoted(output.length > QUOTED_CHARS ? `${output.slice(0, QUOTED_CHARS)}...` : output)}`;
}
