// The work of an execution: the attempt's job through the runner in its pod, on stdin of the
// exec opened ahead (warm) or of a new one, and the runner's result read back as an outcome.
import { execExitCode, type ExecSession } from '../../kube/pod-exec.js';
import { SANDBOX_CONTAINER, coldRunDeadlineSeconds, maxResultBytes, runnerRunCommand } from '../../sandbox/pod.js';
import type { CodeRunReconcilerDeps } from './context.js';
import type { AttemptRecord, ExecWork } from './executions.js';
import type { ReadyAttempt } from './prepare.js';
import { execRunOutcome } from './sandbox-outcome.js';

export function runJob(
  deps: Pick<CodeRunReconcilerDeps, 'exec' | 'sandboxConfig' | 'resultBudget'>,
  attempt: AttemptRecord<ReadyAttempt>,
  session: ExecSession | undefined,
): ExecWork {
  const { prepared, podName } = attempt;
  const bounds = {
    timeoutMs: coldRunDeadlineSeconds(prepared.limits, prepared.testCount, deps.sandboxConfig) * 1000,
    maxOutputBytes: maxResultBytes(prepared.limits, prepared.testCount),
    closeInputAfterLine: true,
  };
  return async (signal) => {
    // The result and its parse are the operator's largest memory: what the programs in flight
    // may send back at once is bounded, so no burst of huge outputs can exhaust the operator.
    const release = await deps.resultBudget.acquire(bounds.maxOutputBytes);
    try {
      return await exchange(signal);
    } finally {
      release();
    }
  };

  async function exchange(signal: AbortSignal) {
    const open = session ?? (await deps.exec.open({ namespace: deps.sandboxConfig.namespace, pod: podName, container: SANDBOX_CONTAINER, command: runnerRunCommand() }));
    const cancel = (): void => open.close();
    signal.addEventListener('abort', cancel, { once: true });
    if (signal.aborted) cancel();
    try {
      const result = await open.send(prepared.job, bounds);
      return execRunOutcome({
        exitCode: execExitCode(result.status),
        statusMessage: result.status.message,
        stdout: result.stdout.toString('utf8'),
        stderr: result.stderr.toString('utf8'),
      });
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }
}
