// The warm attempt: the job goes to the runner waiting in the claimed pool pod (through the exec
// opened ahead when there is one) while the pod is recorded in status; the claim's labels on the
// pod let a retry after a failed write or a restart find it.
import { isSelfTestRun } from '../../crds/runtime-ready.js';
import type { V1Pod } from '@kubernetes/client-node';
import { runRef } from './observed-run.js';
import { observeStage, secondsBetween, writeStatus, type RunContext } from './context.js';
import type { ReadyAttempt } from './prepare.js';
import type { WarmStart } from '../../sandbox/warm-pool.js';
import { runJob } from './run-job.js';
import { buildRunningStatus, type RunRecord } from './status.js';

/** A warm start, or the word to go cold, or to look again after `ms`. */
export type WarmAttempt = { kind: 'started'; resourceVersion: string } | { kind: 'cold' } | { kind: 'wait'; ms: number };

/**
 * Claims a pool pod for the attempt (or finds the one it claimed already). It writes nothing to
 * the run, so a new run's reconcile claims while its finalizer is being written: the claim is
 * recorded on the pod (run UID and attempt), and a retry after a failed finalizer write finds it.
 */
export function claimWarm(ctx: RunContext, prepared: ReadyAttempt, attempt: number): Promise<WarmStart> {
  // A self-test always runs cold: it must not take a pool pod a submission is waiting for.
  if (isSelfTestRun(ctx.run)) return Promise.resolve({ kind: 'cold' });
  return ctx.deps.warm.claim({ run: runRef(ctx.run), runtimeName: prepared.runtimeName, attempt, waitedMs: ctx.at.getTime() - ctx.view.createdAt.getTime() });
}

/** Starts the attempt in the pod `claim` got, or says to go cold or to wait. */
export async function attemptWarm(ctx: RunContext, resourceVersion: string, prepared: ReadyAttempt, attempt: number, claim: Promise<WarmStart>): Promise<WarmAttempt> {
  const warm = await claim;
  if (warm.kind !== 'claimed') return warm;
  return { kind: 'started', resourceVersion: await startWarm(ctx, resourceVersion, prepared, attempt, warm.pod) };
}

async function startWarm(ctx: RunContext, resourceVersion: string, prepared: ReadyAttempt, attempt: number, pod: V1Pod): Promise<string> {
  const { deps, key, view } = ctx;
  const podName = pod.metadata?.name;
  if (podName === undefined) throw new Error('a claimed pool pod has no name');
  const claimedAt = ctx.now();
  // The job goes out while the Running record is written, one round trip sooner. The claim on
  // the pod (run UID and attempt) is what a retry after a failed write or a restart finds; in
  // this process it finds this execution too, and does not send the job twice.
  const execution = { attempt, podName, path: 'warm' as const, prepared };
  if (deps.executions.get(key, attempt, podName) === undefined) {
    const session = deps.warm.takeSession(podName);
    deps.metrics.warmExecs.inc({ runtime: prepared.runtimeName, session: session === undefined ? 'at-claim' : 'ahead' });
    deps.executions.start(key, execution, runJob(deps, execution, session));
  }
  const sentAt = ctx.now();
  const record: RunRecord = { path: 'warm', podName, attempts: attempt, startedAt: view.startedAt ?? claimedAt, observedGeneration: ctx.run.metadata.generation };
  const written = await writeStatus(ctx, resourceVersion, buildRunningStatus({ ...record, now: claimedAt }));
  if (attempt === 1) {
    deps.metrics.runQueueSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(view.createdAt, claimedAt));
    deps.metrics.runStartSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(claimedAt, sentAt));
    observeStage(deps.metrics, 'warm', 'queue', ctx.queuedAt, ctx.at);
    observeStage(deps.metrics, 'warm', 'claim', ctx.at, claimedAt);
    observeStage(deps.metrics, 'warm', 'record', claimedAt, sentAt);
  }
  ctx.log.debug({ pod: podName, attempt }, 'warm run started');
  return written;
}
