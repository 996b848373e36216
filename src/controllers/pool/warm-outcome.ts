// What an exec of `runner run` in a claimed pool pod produced, as the verdict module reads it.
import { parseResultDocument } from '../coderun/runner-protocol.js';
import type { RunOutcome } from '../coderun/verdict.js';

export interface WarmExecOutput {
  /** The runner's exit code; undefined when the exec status gave none. */
  exitCode: number | undefined;
  /** The exec status message on failure (e.g. "command terminated with non-zero exit code"). */
  statusMessage: string | undefined;
  stdout: string;
  stderr: string;
}

const STDERR_IN_MESSAGE = 300;

/**
 * The runner prints one result document and exits 0 whenever it could; anything else is a
 * sandbox failure that names what happened (exit code 137 is a kill, e.g. the pod's memory limit).
 */
export function warmRunOutcome(output: WarmExecOutput): RunOutcome {
  const stderr = output.stderr.trim().slice(-STDERR_IN_MESSAGE);
  const how = output.exitCode === undefined ? `no exit code (${output.statusMessage ?? 'no status message'})` : `exit code ${output.exitCode}`;
  if (output.exitCode !== 0) {
    return { kind: 'sandboxFailure', message: `the runner in the pool pod ended with ${how}${stderr ? `: ${JSON.stringify(stderr)}` : ''}` };
  }
  const parsed = parseResultDocument(output.stdout);
  if (!parsed.ok) return { kind: 'sandboxFailure', message: `${parsed.message}; the runner in the pool pod ended with ${how}` };
  return { kind: 'result', result: parsed.result };
}
