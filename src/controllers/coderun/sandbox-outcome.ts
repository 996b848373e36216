import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { parseResultDocument } from './runner-protocol.js';
import { RUNNER_INIT_CONTAINER, SANDBOX_CONTAINER } from './sandbox-pod.js';
import type { RunOutcome } from './verdict.js';

function memoryLimitMiB(pod: V1Pod): number | undefined {
  const limit = pod.spec?.containers.find((c) => c.name === SANDBOX_CONTAINER)?.resources?.limits?.memory;
  const match = /^(\d+)Mi$/.exec(limit ?? '');
  return match ? Number(match[1]) : undefined;
}

function terminatedText(status: V1ContainerStatus | undefined): string {
  const t = status?.state?.terminated;
  if (!t) return 'it did not finish';
  const parts = [t.signal ? `signal ${t.signal}` : `exit code ${t.exitCode}`];
  if (t.reason) parts.push(`reason ${t.reason}`);
  if (t.message) parts.push(`message ${JSON.stringify(t.message.slice(0, 300))}`);
  return parts.join(', ');
}

/**
 * What a finished cold pod produced: the runner's result, an OOM kill at the pod's memory limit,
 * or a failure of the sandbox that names its cause. `runnerStdout` is the sandbox container's log
 * (undefined when it could not be read).
 */
export function coldRunOutcome(pod: V1Pod, runnerStdout: string | undefined): RunOutcome {
  const status = pod.status;
  const main = status?.containerStatuses?.find((c) => c.name === SANDBOX_CONTAINER);
  const init = status?.initContainerStatuses?.find((c) => c.name === RUNNER_INIT_CONTAINER);
  const terminated = main?.state?.terminated;
  if (terminated?.reason === 'OOMKilled') return { kind: 'oomKilled', memoryLimitMiB: memoryLimitMiB(pod) ?? 0 };
  if (status?.reason === 'DeadlineExceeded') {
    return {
      kind: 'sandboxFailure',
      message: `the sandbox pod exceeded its deadline of ${pod.spec?.activeDeadlineSeconds ?? '?'} s before the runner reported (${status.message ?? 'no message'})`,
    };
  }
  if (init?.state?.terminated && init.state.terminated.exitCode !== 0) {
    return { kind: 'sandboxFailure', message: `installing the runner into the pod failed: ${terminatedText(init)}` };
  }
  if (!terminated) return { kind: 'sandboxFailure', message: `the sandbox container ended without a result (pod phase ${status?.phase ?? 'unknown'})` };
  if (runnerStdout === undefined) return { kind: 'sandboxFailure', message: `the runner's output could not be read (${terminatedText(main)})` };
  const parsed = parseResultDocument(runnerStdout);
  if (!parsed.ok) return { kind: 'sandboxFailure', message: `${parsed.message}; the runner ended with ${terminatedText(main)}` };
  return { kind: 'result', result: parsed.result };
}
