// The cold path: a sandbox pod created for the attempt, recorded in status; its job is sent once
// the pod is ready (sendJob, a later reconcile).
import type { V1Pod } from '@kubernetes/client-node';
import { buildRunningStatus } from './status.js';
import { observeStage, secondsBetween, writeStatus, type RunContext } from './context.js';
import { runRef } from './observed-run.js';
import type { ReadyAttempt } from './prepare.js';
import { runJob } from './run-job.js';

/** Returns the run's version after the status write. */
export async function startCold(ctx: RunContext, resourceVersion: string, prepared: ReadyAttempt, attempt: number): Promise<string> {
  const { deps, key, view, at } = ctx;
  const pod = prepared.pod(attempt);
  const podName = pod.metadata?.name;
  if (podName === undefined) throw new Error('a sandbox pod was built without a name');
  await deps.sandbox.createPod(pod);
  // Held before the status names the pod, so no reconcile sees the attempt without it.
  deps.executions.awaitPod(key, { attempt, podName, path: 'cold', prepared });
  const written = await writeStatus(
    ctx,
    resourceVersion,
    buildRunningStatus({ ...ctx.record, path: 'cold', podName, attempts: attempt, startedAt: view.startedAt ?? at, now: at }),
  );
  if (attempt === 1) {
    deps.metrics.runQueueSeconds.observe({ runtime: ctx.runtimeName, path: 'cold' }, secondsBetween(view.createdAt, at));
    observeStage(deps.metrics, 'cold', 'queue', ctx.queuedAt, at);
  }
  deps.events.record(runRef(ctx.run), 'Normal', 'Started', `attempt ${attempt} in sandbox pod ${podName}`);
  ctx.log.info({ pod: podName, attempt }, 'run started');
  return written;
}

/** The cold pod is ready: its job goes in through an exec, outside the reconcile. */
export function sendJob(ctx: RunContext, pod: V1Pod | undefined): void {
  const { deps, key, view, at } = ctx;
  const execution = deps.executions.get(key, view.attempts, view.podName);
  if (execution === undefined) throw new Error('sendJob planned without an execution');
  const createdAt = pod?.metadata?.creationTimestamp;
  if (createdAt !== undefined) deps.metrics.runStartSeconds.observe({ runtime: ctx.runtimeName, path: 'cold' }, secondsBetween(new Date(createdAt), at));
  if (view.attempts === 1 && view.startedAt !== undefined) observeStage(deps.metrics, 'cold', 'podStart', view.startedAt, at);
  deps.executions.start(key, execution, runJob(deps, execution, undefined));
}
