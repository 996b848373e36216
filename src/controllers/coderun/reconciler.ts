// The CodeRun reconciler: observe (observe.ts), plan once (planReconcile, pure), act (the actions
// in order; any error stops the rest and requeues the key with backoff). An attempt gets a pod (a
// claimed warm pool pod, start-warm.ts, or a cold pod created for it, start-cold.ts), is recorded
// in status, and its job goes to the runner in that pod through an exec on stdin; the exec runs
// outside the reconcile (executions.ts) and its end enqueues the run, whose next reconcile judges
// the result and writes the status once (finish.ts). An attempt found Running without an
// execution in this process lost it (restart, new leader) and is retried in a fresh pod, a
// bounded number of times.
import type { V1Pod } from '@kubernetes/client-node';
import type { Reconcile, ReconcileResult } from '../../machinery/controller.js';
import { codeRunLogger } from '../../observability/logger.js';
import { runSelector } from '../../sandbox/names.js';
import type { CodeRunReconcilerDeps, RunContext } from './context.js';
import { Executions } from './executions.js';
import { collect, finish } from './finish.js';
import { observe } from './observe.js';
import { FINALIZER, runRef, runtimeNameOf } from './observed-run.js';
import { planReconcile, type Action } from './plan.js';
import { prepare, type Prepared, type ReadyAttempt } from './prepare.js';
import { sendJob, startCold } from './start-cold.js';
import { attemptWarm, claimWarm } from './start-warm.js';
import type { WarmStart } from '../../sandbox/warm-pool.js';
import { buildInvalidStatus, buildSystemErrorStatus } from './status.js';
import { WrittenVersions } from './written-versions.js';

/** A new Executions store whose ended executions are handed to `enqueue`. */
export function newExecutions(enqueue: (key: string) => void): Executions<ReadyAttempt> {
  return new Executions<ReadyAttempt>(enqueue);
}

/** What an action leaves for the next: the run's version, or the end of this reconcile. */
type Step = { resourceVersion: string } | { done: ReconcileResult | undefined };

export function codeRunReconciler(deps: CodeRunReconcilerDeps): Reconcile {
  const now = deps.now ?? (() => new Date());
  const written = new WrittenVersions();

  return async (key, context): Promise<ReconcileResult | void> => {
    const run = deps.runs.get(key);
    if (run === undefined) {
      written.forget(key);
      deps.executions.forget(key);
      return;
    }
    // The cache still shows a version this process wrote over: our write's event has yet to
    // arrive, and acting on it could claim a second pool pod.
    if (written.isStale(key, run.metadata.resourceVersion)) return;
    written.forget(key);
    const at = now();
    const seen = await observe(deps, key, run, at);
    const actions = planReconcile(seen.view, seen.validity, seen.podSeen, seen.exec, at, deps.plan);
    if (actions.length === 0) return;
    const log = codeRunLogger(deps.logger, { namespace: run.metadata.namespace, name: run.metadata.name });
    log.debug({ actions: actions.map((a) => a.type) }, 'reconcile plan');
    const { view } = seen;
    const ctx: RunContext = {
      deps,
      key,
      run,
      view,
      runtimeName: runtimeNameOf(run),
      at,
      queuedAt: context.queuedAt ?? at,
      record: { path: view.path ?? 'cold', podName: view.podName, attempts: view.attempts, startedAt: view.startedAt, observedGeneration: run.metadata.generation },
      log,
      now,
      wroteOver: (version) => written.add(key, version),
    };
    // A retry prepares here (a first attempt was prepared while observing).
    const prepared = actions.some((a) => a.type === 'startAttempt') ? (seen.prepared ?? (await prepare(deps, run))) : undefined;

    // A new run's pool pod is claimed while its finalizer is written: one round trip less before
    // the job goes out (the claim writes only the pod).
    const first = actions[1];
    const claimAhead =
      actions[0]?.type === 'addFinalizer' && first?.type === 'startAttempt' && prepared?.kind === 'ready' ? claimWarm(ctx, prepared, first.attempt) : undefined;
    // Settled even if the finalizer write fails first: a claim the retry then finds by its labels.
    claimAhead?.catch(() => undefined);

    let resourceVersion = run.metadata.resourceVersion;
    for (const action of actions) {
      const step = await act(ctx, action, resourceVersion, prepared, seen.pod, claimAhead);
      if ('done' in step) return step.done;
      resourceVersion = step.resourceVersion;
    }
  };
}

async function act(
  ctx: RunContext,
  action: Action,
  resourceVersion: string,
  prepared: Prepared | undefined,
  pod: V1Pod | undefined,
  claimAhead: Promise<WarmStart> | undefined,
): Promise<Step> {
  const { deps, key, run, at } = ctx;
  const identity = { namespace: run.metadata.namespace, name: run.metadata.name, resourceVersion };
  const finalizers = run.metadata.finalizers ?? [];
  switch (action.type) {
    case 'addFinalizer': {
      const next = await deps.codeRuns.setFinalizers(identity, [...finalizers, FINALIZER]);
      ctx.wroteOver(resourceVersion);
      return { resourceVersion: next };
    }
    case 'removeFinalizer': {
      const next = await deps.codeRuns.setFinalizers(identity, finalizers.filter((f) => f !== FINALIZER));
      ctx.wroteOver(resourceVersion);
      return { resourceVersion: next };
    }
    case 'deleteChildren':
      deps.executions.forget(key);
      await deps.sandbox.deleteAll(runSelector(runRef(run)));
      return { resourceVersion };
    case 'releasePod': {
      deps.executions.forget(key);
      const { podName, attempts } = ctx.view;
      const released = podName !== undefined && (await deps.warm.release({ run: runRef(run), runtimeName: ctx.runtimeName, attempt: attempts, podName }));
      // A released pod carries no label of the run any more: this deletes only what was not released.
      if (!released) await deps.sandbox.deleteAll(runSelector(runRef(run)));
      return { resourceVersion };
    }
    case 'deleteRun':
      ctx.log.info('deleting the run: ttlSecondsAfterFinished has passed');
      await deps.codeRuns.delete(run.metadata);
      return { resourceVersion };
    case 'failInvalid': {
      const status = buildInvalidStatus({ reason: action.reason, message: action.message, now: at, observedGeneration: run.metadata.generation }, deps.statusConfig);
      return { resourceVersion: await finish(ctx, resourceVersion, status, 'Invalid') };
    }
    case 'failSystem':
      return { resourceVersion: await finish(ctx, resourceVersion, buildSystemErrorStatus({ ...ctx.record, message: action.message, finishedAt: at }, deps.statusConfig), 'SystemError', action.cause) };
    case 'startAttempt':
      return startAttempt(ctx, action, resourceVersion, prepared, claimAhead);
    case 'sendJob':
      sendJob(ctx, pod);
      return { resourceVersion };
    case 'finishAttempt':
      return { resourceVersion: await collect(ctx, resourceVersion) };
    case 'requeueAfter':
      return { done: { requeueAfterMs: action.ms } };
  }
}

async function startAttempt(
  ctx: RunContext,
  action: Extract<Action, { type: 'startAttempt' }>,
  resourceVersion: string,
  prepared: Prepared | undefined,
  claimAhead: Promise<WarmStart> | undefined,
): Promise<Step> {
  const { deps, at } = ctx;
  if (prepared === undefined) throw new Error('startAttempt planned without preparation');
  if (prepared.kind === 'blocked') {
    // Only a retry gets here (a first attempt was planned from the same validity).
    const message = `attempt ${action.attempt} cannot start: ${prepared.validity.message}`;
    await finish(ctx, resourceVersion, buildSystemErrorStatus({ ...ctx.record, message, finishedAt: at }, deps.statusConfig), 'SystemError', 'InputsLost');
    return { done: undefined };
  }
  if (action.retrying !== undefined) {
    // Never the program's fault: said where its owner looks, not judged.
    ctx.log.warn({ attempt: action.attempt, cause: action.retrying }, 'retrying in a fresh pod');
    deps.metrics.retries.inc({ runtime: ctx.runtimeName, cause: action.cause ?? 'unknown' });
    deps.events.record(runRef(ctx.run), 'Warning', 'Retrying', `attempt ${action.attempt - 1} failed: ${action.retrying}; starting attempt ${action.attempt} in a fresh pod`);
  }
  const warm = await attemptWarm(ctx, resourceVersion, prepared, action.attempt, claimAhead ?? claimWarm(ctx, prepared, action.attempt));
  if (warm.kind === 'wait') return { done: { requeueAfterMs: warm.ms } };
  if (warm.kind === 'started') return { resourceVersion: warm.resourceVersion };
  return { resourceVersion: await startCold(ctx, resourceVersion, prepared, action.attempt) };
}
