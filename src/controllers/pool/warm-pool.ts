// The pools as the CodeRun controller sees them (sandbox/warm-pool.ts): a claim against the
// Runtime's current pool template, and the sessions opened ahead.
import type { Logger } from 'pino';
import type { SandboxConfig } from '../../sandbox/pod.js';
import type { WarmPool } from '../../sandbox/warm-pool.js';
import { poolTemplateHash, type ObservedRuntime } from './pool-pod.js';
import { claimWarmPod, type WarmClaimDeps } from './warm-claim.js';
import { releaseWarmPod } from './warm-release.js';
import type { WarmSessions } from './warm-sessions.js';

export interface WarmPoolDeps extends WarmClaimDeps {
  runtimes: { get(name: string): ObservedRuntime | undefined };
  sessions: WarmSessions;
  sandboxConfig: SandboxConfig;
  /** How long a run may wait for an idle pool pod before it takes the cold path. */
  warmWaitMs: number;
  logger: Logger;
}

export function newWarmPool(deps: WarmPoolDeps): WarmPool {
  return {
    claim: (request) =>
      claimWarmPod(deps, {
        ...request,
        poolSpecHash: poolTemplateHash(deps.runtimes.get(request.runtimeName), deps.sandboxConfig),
        warmWaitMs: deps.warmWaitMs,
      }),
    takeSession: (podName) => deps.sessions.take(podName),
    release: (request) => releaseWarmPod(deps, request),
  };
}
