// Getting a pool pod for one attempt of a run: the pod it already claimed, or a fresh claim of
// an idle one, or the word to wait or go cold. The claim itself is the resourceVersion-guarded
// label change in PoolApi.claimPod.
import type { V1Pod } from '@kubernetes/client-node';
import type { PoolApi } from '../../kube/pool-api.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import { claimedPodMetadata } from '../../sandbox/pool-labels.js';
import type { WarmClaimRequest, WarmStart } from '../../sandbox/warm-pool.js';
import { chooseStartPath, claimCandidates, ownClaim } from './claim-choice.js';

/** Candidates one reconcile tries before it lets the cache catch up (requeue) and looks again. */
const CLAIM_TRIES = 4;
/** After every try lost, the run looks again this soon: the cache then shows those pods claimed. */
const LOST_CLAIMS_RETRY_MS = 5;

export interface WarmClaimInput extends WarmClaimRequest {
  /** The template hash of the pool's current pods; undefined when the Runtime has no pool. */
  poolSpecHash: string | undefined;
  warmWaitMs: number;
}

export interface WarmClaimDeps {
  pods: { list(): V1Pod[] };
  /** Pods whose runner already waits in an exec opened ahead: tried first. */
  sessions: { has(podName: string): boolean };
  pool: PoolApi;
  metrics: DomainMetrics;
}

/** Spreads concurrent claimers over the idle pods: a number from the run's UID. */
function spreadOf(uid: string): number {
  return Number.parseInt(uid.replace(/[^0-9a-f]/gi, '').slice(0, 8) || '0', 16);
}

export async function claimWarmPod(deps: WarmClaimDeps, input: WarmClaimInput): Promise<WarmStart> {
  const pods = deps.pods.list();
  const own = ownClaim(pods, input.run.uid, input.attempt);
  if (own !== undefined) return { kind: 'claimed', pod: own, fresh: false };
  const candidates = input.poolSpecHash === undefined ? [] : claimCandidates(pods, input.runtimeName, input.poolSpecHash, spreadOf(input.run.uid), (name) => deps.sessions.has(name));
  const path = chooseStartPath({ hasPool: input.poolSpecHash !== undefined, idle: candidates.length, waitedMs: input.waitedMs, warmWaitMs: input.warmWaitMs });
  if (path.kind === 'cold') {
    if (input.poolSpecHash !== undefined) deps.metrics.claimMisses.inc({ runtime: input.runtimeName });
    return path;
  }
  if (path.kind === 'wait') return path;
  const metadata = claimedPodMetadata(input.run, input.runtimeName, input.attempt);
  for (const candidate of candidates.slice(0, CLAIM_TRIES)) {
    const name = candidate.metadata?.name;
    const resourceVersion = candidate.metadata?.resourceVersion;
    if (name === undefined || resourceVersion === undefined) continue;
    const claimed = await deps.pool.claimPod({ podName: name, resourceVersion, ...metadata });
    if (claimed !== undefined) {
      deps.metrics.claimHits.inc({ runtime: input.runtimeName });
      return { kind: 'claimed', pod: claimed, fresh: true };
    }
    deps.metrics.claimConflicts.inc({ runtime: input.runtimeName });
  }
  return { kind: 'wait', ms: LOST_CLAIMS_RETRY_MS };
}
