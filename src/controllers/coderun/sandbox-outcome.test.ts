import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { resolveLimits } from './limits.js';
import { coldRunOutcome } from './sandbox-outcome.js';
import { DEFAULT_SANDBOX_CONFIG, buildSandboxPod } from './sandbox-pod.js';
import { PYTHON3 } from './test-fixtures.js';

const run = { namespace: 'judge', name: 'sum', uid: '6f1c2a9e-6b53-4a8e-9d1e-2b7f3c4d5e6f' };
const built = buildSandboxPod({ run, runtimeName: 'python3', runtime: PYTHON3, limits: resolveLimits(undefined, PYTHON3), testCount: 1, attempt: 1 }, DEFAULT_SANDBOX_CONFIG);
const withStatus = (status: V1PodStatus): V1Pod => ({ ...built, status });
const ok = { compile: null, tests: [], error: 'x' };
const terminated = (exitCode: number, reason?: string, message?: string) => ({
  name: 'sandbox', image: 'python', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason, message } },
});
const initDone = { name: 'install-runner', image: 'runner', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } };

test.each<[string, V1PodStatus, string | undefined, unknown]>([
  ['the runner result', { phase: 'Succeeded', initContainerStatuses: [initDone], containerStatuses: [terminated(0)] }, JSON.stringify(ok), { kind: 'result', result: ok }],
  ['an OOM kill', { phase: 'Failed', containerStatuses: [terminated(137, 'OOMKilled')] }, '', { kind: 'oomKilled', memoryLimitMiB: 448 }],
  [
    'the deadline',
    { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' },
    undefined,
    { kind: 'sandboxFailure', message: expect.stringContaining('exceeded its deadline of 125 s') },
  ],
  [
    'a failed runner install',
    { phase: 'Failed', initContainerStatuses: [{ ...initDone, state: { terminated: { exitCode: 1, message: 'no space left' } } }] },
    undefined,
    { kind: 'sandboxFailure', message: 'installing the runner into the pod failed: exit code 1, message "no space left"' },
  ],
  [
    'a runner crash',
    { phase: 'Failed', containerStatuses: [terminated(2, 'Error', 'panic: boom')] },
    'panic: boom',
    { kind: 'sandboxFailure', message: expect.stringMatching(/printed no result document.*exit code 2, reason Error, message "panic: boom"/) },
  ],
  ['an unreadable log', { phase: 'Succeeded', containerStatuses: [terminated(0)] }, undefined, { kind: 'sandboxFailure', message: expect.stringContaining("output could not be read") }],
  ['no container status', { phase: 'Failed' }, undefined, { kind: 'sandboxFailure', message: 'the sandbox container ended without a result (pod phase Failed)' }],
])('%s', (_name, status, log, outcome) => {
  expect(coldRunOutcome(withStatus(status), log)).toEqual(outcome);
});
