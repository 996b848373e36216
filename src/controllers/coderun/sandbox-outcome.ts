// What an exec of `runner run` in a sandbox pod (cold or warm) produced, as the verdict module
// reads it. The result comes only from the runner's stdout: nothing the program can write (its
// own output goes through the runner's pipes; the termination log is never read) reaches it.
import { parseResultDocument } from '../../sandbox/runner-protocol.js';
import type { RunOutcome } from './verdict.js';

export interface ExecOutput {
  /** The runner's exit code; undefined when the exec status gave none. */
  exitCode: number | undefined;
  /** The exec status message on failure (e.g. "command terminated with non-zero exit code"). */
  statusMessage: string | undefined;
  stdout: string;
  stderr: string;
}

const STDERR_IN_MESSAGE = 300;

/**
 * The runner prints one result document and exits 0 whenever it could. Anything else, and a
 * document that reports an error of the runner itself, is a failure of the sandbox that names
 * what happened (exit code 137 is a kill, e.g. at the pod's memory limit): never the program's.
 */
export function execRunOutcome(output: ExecOutput): RunOutcome {
  const stderr = output.stderr.trim().slice(-STDERR_IN_MESSAGE);
  const how = output.exitCode === undefined ? `no exit code (${output.statusMessage ?? 'no status message'})` : `exit code ${output.exitCode}`;
  if (output.exitCode !== 0) {
    return { kind: 'sandboxFailure', message: `the runner ended with ${how}${stderr ? `: ${JSON.stringify(stderr)}` : ''}` };
  }
  const parsed = parseResultDocument(output.stdout);
  if (!parsed.ok) return { kind: 'sandboxFailure', message: `${parsed.message}; the runner ended with ${how}` };
  if (parsed.result.error !== null) return { kind: 'sandboxFailure', message: `the runner failed: ${parsed.result.error}` };
  return { kind: 'result', result: parsed.result };
}
