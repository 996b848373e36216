// The sweep of sandbox objects no run needs (orphans.ts decides): a leader-only runnable that
// sweeps once before the CodeRun controller starts (claims whose exec died with the previous
// process go first), then every few minutes.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PoolApi } from '../../kube/pool-api.js';
import type { SandboxApi } from '../../kube/sandbox-api.js';
import type { Runnable } from '../../machinery/manager.js';
import { LABELS, runSelector } from '../../sandbox/names.js';
import { CLAIMED_POOL_PODS_SELECTOR } from '../../sandbox/pool-labels.js';
import type { ObservedRun } from './observed-run.js';
import { orphanedRunUids, ownerRunKey, staleClaims, type ClaimOwner } from './orphans.js';
import { isTerminal } from './plan.js';

const SWEEP_INTERVAL_MS = 5 * 60_000;

export interface SweepDeps {
  runs: { get(key: string): ObservedRun | undefined };
  pods: { list(): V1Pod[] };
  sandbox: Pick<SandboxApi, 'deleteAll'>;
  pool: Pick<PoolApi, 'listPods' | 'deletePod'>;
  logger: Logger;
}

/** Deletes the sandbox objects of runs that are gone or finished, and stale claims of pool pods. */
export async function sweep(deps: SweepDeps, atStart: boolean): Promise<void> {
  const liveRunUid = (key: string): string | undefined => {
    const run = deps.runs.get(key);
    return run === undefined || isTerminal(run.status?.phase) ? undefined : run.metadata.uid;
  };
  for (const uid of orphanedRunUids(deps.pods.list().map((p) => p.metadata), liveRunUid)) {
    deps.logger.info({ runUid: uid }, 'deleting sandbox objects of a run that is gone or finished');
    await deps.sandbox.deleteAll(runSelector({ uid }));
  }
  const claimOwner = (pod: V1Pod): ClaimOwner => {
    const key = ownerRunKey(pod.metadata);
    const run = key === undefined ? undefined : deps.runs.get(key);
    if (run === undefined || run.metadata.uid !== pod.metadata?.labels?.[LABELS.runUid]) return { kind: 'missing' };
    if (isTerminal(run.status?.phase)) return { kind: 'terminal' };
    return { kind: 'live', podName: run.status?.podName };
  };
  // Read from the API, not the cache: at start the cache may not show a claim made just before.
  const claimed = await deps.pool.listPods(CLAIMED_POOL_PODS_SELECTOR);
  for (const name of staleClaims(claimed, claimOwner, atStart)) {
    deps.logger.info({ pod: name }, 'deleting a claimed pool pod that no run is using');
    // At the version listed: its finished run may have returned it to the pool meanwhile
    // (warmPool.runsPerPod), and another run may hold it now.
    await deps.pool.deletePod(name, claimed.find((pod) => pod.metadata?.name === name)?.metadata?.resourceVersion);
  }
}

export function sweepRunnable(deps: SweepDeps, intervalMs = SWEEP_INTERVAL_MS): Runnable {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'sandbox-sweep',
    async start() {
      await sweep(deps, true);
      timer = setInterval(() => sweep(deps, false).catch((err: unknown) => deps.logger.warn({ err }, 'orphan sweep failed')), intervalMs);
    },
    async stop() {
      clearInterval(timer);
    },
  };
}
