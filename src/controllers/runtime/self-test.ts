// A Runtime's self-test, decided: which CodeRun tests the Runtime as it is now, and what that
// run's outcome says about the Runtime (its Ready condition). Pure; the reconciler does the I/O.
import { createHash } from 'node:crypto';
import type { CodeRunSpec, CodeRunStatus } from '../../crds/coderun.js';
import { READY, type ReadyReason } from '../../crds/runtime-ready.js';
import type { RuntimeSpec } from '../../crds/runtime.js';

/** Bytes of each output quoted in a SelfTestFailed message. */
const QUOTED_OUTPUT_BYTES = 1024;

/**
 * The run's name covers the Runtime and everything a run of it depends on (image, source file,
 * commands, env, the test itself): a change of any starts a new self-test; a change of limits
 * or of the pool does not.
 */
export function selfTestRunName(runtimeName: string, spec: RuntimeSpec): string {
  const { image, sourceFile, compile, run, env, selfTest } = spec;
  const hash = createHash('sha256')
    .update(JSON.stringify([runtimeName, image, sourceFile, compile?.command, run.command, env, selfTest]))
    .digest('hex');
  return `self-test-${hash.slice(0, 16)}`;
}

/** The self-test as a CodeRun: one test, under the Runtime's max limits (a busy node is no failure). */
export function selfTestRunSpec(runtimeName: string, spec: RuntimeSpec): CodeRunSpec | undefined {
  const test = spec.selfTest;
  if (test === undefined) return undefined;
  return {
    runtime: runtimeName,
    source: { inline: test.source },
    tests: [{ name: 'self-test', stdin: test.stdin ?? '', expectedStdout: test.expectedStdout }],
    limits: spec.limits.max,
  };
}

export interface ReadyCondition {
  type: typeof READY;
  status: 'True' | 'False' | 'Unknown';
  reason: ReadyReason;
  message: string;
}

const condition = (status: ReadyCondition['status'], reason: ReadyReason, message: string): ReadyCondition => ({ type: READY, status, reason, message });

// The kubelet's reasons for an image it cannot get, as the run's SystemError message quotes them.
const IMAGE_PROBLEM = /ErrImageNeverPull|ErrImagePull|ImagePullBackOff|InvalidImageName|image .*not (found|present)/i;

function quote(label: string, text: string | undefined): string {
  if (text === undefined || text === '') return '';
  const cut = text.length > QUOTED_OUTPUT_BYTES ? `${text.slice(0, QUOTED_OUTPUT_BYTES)}...` : text;
  return `\n${label}:\n${cut}`;
}

/**
 * The Ready condition a self-test run's status gives its Runtime. `run` is undefined while the
 * run is being created; a run that is not terminal is still running.
 */
export function readyFromSelfTest(runName: string, status: CodeRunStatus | undefined): ReadyCondition {
  const phase = status?.phase;
  if (status === undefined || (phase !== 'Completed' && phase !== 'Failed')) {
    return condition('Unknown', 'SelfTestRunning', `the self-test run ${runName} has not finished; runs of this Runtime wait for it`);
  }
  if (phase === 'Failed') {
    const message = status.message ?? 'the self-test run failed';
    if (status.verdict === undefined) return condition('False', 'SelfTestInvalid', `the self-test run ${runName} is invalid: ${message}; fix spec.selfTest or the Runtime`);
    if (IMAGE_PROBLEM.test(message)) return condition('False', 'ImageNotFound', `the self-test run ${runName} could not start the image: ${message}`);
    return condition('False', 'SandboxFailed', `the self-test run ${runName} ended in SystemError: ${message}`);
  }
  if (status.verdict === 'Accepted') {
    const test = status.tests?.[0];
    const took = test === undefined ? '' : ` (CPU ${test.cpuTimeMillis ?? '?'} ms, wall ${test.wallTimeMillis ?? '?'} ms)`;
    return condition('True', 'SelfTestPassed', `the self-test run ${runName} was Accepted${took}`);
  }
  const test = status.tests?.find((t) => t.verdict !== 'Accepted' && t.verdict !== 'Skipped');
  const output =
    status.verdict === 'CompilationError'
      ? quote('compiler output', status.compile?.output)
      : `${quote('stdout', test?.stdout)}${quote('stderr', test?.stderr)}`;
  return condition('False', 'SelfTestFailed', `the self-test run ${runName} got ${status.verdict ?? 'no verdict'}: ${status.message ?? ''}${output}`);
}

/** The condition of a Runtime without spec.selfTest: nothing to wait for. */
export const NO_SELF_TEST: ReadyCondition = condition(
  'True',
  'NoSelfTest',
  'spec.selfTest is not set: nothing checks the image before runs use it; add a self-test to find a broken toolchain first',
);
