// A test's verdict in an interactive problem, from the program's run and the interactor's run
// beside it. The order, as DMOJ's interactive grader judges (its limits first), made explicit:
//  1. the program exceeded one of its limits (time, memory, output, processes): that verdict;
//     an interactor left waiting for such a program may fail meanwhile, through no fault of its own;
//  2. the interactor failed (a limit, a signal, exit 3 or a code testlib does not define): the
//     problem setter's fault, SystemError with its message, never blamed on the program;
//  3. the program died of SIGPIPE: it wrote after the interactor had stopped reading, i.e.
//     after the interactor gave its verdict, which stands;
//  4. the program crashed or exited non-zero: RuntimeError;
//  5. else the interactor's verdict by testlib's exit codes (checkerVerdict).
import type { FullLimits } from '../../crds/limits.js';
import type { CheckerRun, TestResult } from '../../sandbox/runner-protocol.js';
import { checkerVerdict } from './checker-verdict.js';
import type { TestVerdictResult } from './verdict.js';

const SIGPIPE = 13;

/** What the program's own run says, by judgeTest without an expected output. */
const LIMIT_VERDICTS: ReadonlySet<TestVerdictResult['verdict']> = new Set(['TimeLimitExceeded', 'MemoryLimitExceeded', 'OutputLimitExceeded', 'SystemError']);

export function interactiveVerdict(
  program: Pick<TestResult, 'signal' | 'limitExceeded'>,
  ran: TestVerdictResult,
  interactor: CheckerRun | undefined,
  interactorLimits: FullLimits,
): TestVerdictResult {
  if (LIMIT_VERDICTS.has(ran.verdict) || program.limitExceeded !== null) return ran;
  const judged = checkerVerdict(interactor, interactorLimits, 'interactor');
  if (judged.verdict === 'SystemError' || program.signal === SIGPIPE) return judged;
  if (ran.verdict !== 'Accepted') return ran;
  return judged;
}
