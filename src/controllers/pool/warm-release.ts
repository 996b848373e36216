// After a warm run that ended cleanly: its pod goes back to the pool when the Runtime allows it
// (warmPool.runsPerPod) and the pod is as it should be (pod-reuse.ts), else the caller deletes it.
// The pod is read from the API server, not the cache, and released under that read's
// resourceVersion: a pod changed meanwhile (killed, restarted, deleted) is never handed out.
import type { Logger } from 'pino';
import type { PoolApi } from '../../kube/pool-api.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import type { SandboxConfig } from '../../sandbox/pod.js';
import { releasedPodMetadata } from '../../sandbox/pool-labels.js';
import type { WarmReleaseRequest } from '../../sandbox/warm-pool.js';
import { reuseDecision } from './pod-reuse.js';
import { poolTemplateOf, runtimeOwnerReference, type ObservedRuntime } from './pool-pod.js';
import type { WarmSessions } from './warm-sessions.js';

export interface WarmReleaseDeps {
  runtimes: { get(name: string): ObservedRuntime | undefined };
  pool: Pick<PoolApi, 'readPod' | 'releasePod'>;
  sessions: Pick<WarmSessions, 'released'>;
  metrics: DomainMetrics;
  sandboxConfig: SandboxConfig;
  logger: Logger;
}

/** True when the pod went back to the pool; false when the caller must delete it. */
export async function releaseWarmPod(deps: WarmReleaseDeps, request: WarmReleaseRequest): Promise<boolean> {
  const template = poolTemplateOf(deps.runtimes.get(request.runtimeName), deps.sandboxConfig);
  // Most pools serve one run per pod: no read for them.
  if (template === undefined || template.runsPerPod <= 1) return false;
  const decision = reuseDecision({
    pod: await deps.pool.readPod(request.podName),
    runUid: request.run.uid,
    attempt: request.attempt,
    pool: { runsPerPod: template.runsPerPod, templateHash: template.hash, runtimeUid: template.runtimeUid },
  });
  const log = deps.logger.child({ runtime: request.runtimeName, pod: request.podName });
  if (decision.kind === 'delete') {
    log.debug({ why: decision.why }, 'a used pool pod is not reused');
    return false;
  }
  const released = await deps.pool.releasePod({
    podName: request.podName,
    resourceVersion: decision.resourceVersion,
    ...releasedPodMetadata(decision.runsServed),
    owner: runtimeOwnerReference(request.runtimeName, decision.runtimeUid),
  });
  if (!released) return false;
  // Only now may a session be opened into it again: its run's runner has exited.
  deps.sessions.released(request.podName);
  deps.metrics.podReuses.inc({ runtime: request.runtimeName });
  log.debug({ runsServed: decision.runsServed }, 'a used pool pod went back to the pool');
  return true;
}
