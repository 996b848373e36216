// The end of a run: its one terminal status (a verdict, Invalid or SystemError), counted, and
// said in an event where its owner looks.
import type { CodeRunStatus } from '../../crds/coderun.js';
import { isSelfTestRun } from '../../crds/runtime-ready.js';
import { runRef } from './observed-run.js';
import type { PlatformFailureCause } from './plan.js';
import { observeStage, secondsBetween, writeStatus, type RunContext } from './context.js';
import { judgeInputOf } from './judging-record.js';
import { buildFinishedStatus } from './status.js';
import { judgeRunAsync } from './verdict.js';

/** Writes the terminal status; returns the run's version after it. */
export async function finish(
  ctx: RunContext,
  resourceVersion: string,
  status: CodeRunStatus,
  verdictLabel: string,
  systemErrorCause?: PlatformFailureCause,
): Promise<string> {
  const written = await writeStatus(ctx, resourceVersion, status);
  // Submissions only: a Runtime's self-test is the platform checking itself.
  if (!isSelfTestRun(ctx.run)) recordFinished(ctx, status, verdictLabel, systemErrorCause);
  ctx.deps.events.record(runRef(ctx.run), status.phase === 'Failed' ? 'Warning' : 'Normal', verdictLabel, status.message ?? verdictLabel);
  ctx.log.info({ phase: status.phase, verdict: status.verdict, message: status.message }, 'run finished');
  return written;
}

function recordFinished(ctx: RunContext, status: CodeRunStatus, verdictLabel: string, systemErrorCause: PlatformFailureCause | undefined): void {
  const { metrics } = ctx.deps;
  metrics.runsTotal.inc({ runtime: ctx.runtimeName, verdict: verdictLabel, path: status.path ?? 'none' });
  metrics.runDurationSeconds.observe({ runtime: ctx.runtimeName, path: status.path ?? 'none' }, secondsBetween(ctx.view.createdAt, ctx.now()));
  metrics.namespaceRunsTotal.inc({ namespace: metrics.namespaceLabel(ctx.run.metadata.namespace), phase: status.phase ?? 'unknown' });
  if (systemErrorCause !== undefined) metrics.systemErrors.inc({ runtime: ctx.runtimeName, cause: systemErrorCause });
}

/** Collects the ended execution: judges the runner's result and writes the verdict, once. */
export async function collect(ctx: RunContext, resourceVersion: string): Promise<string> {
  const { deps, key, view } = ctx;
  const execution = deps.executions.get(key, view.attempts, view.podName);
  if (execution?.state !== 'done') throw new Error('finishAttempt planned without an ended execution');
  const { prepared, outcome, sentAt, finishedAt } = execution;
  deps.metrics.runExecutionSeconds.observe({ runtime: prepared.runtimeName, path: execution.path }, secondsBetween(sentAt, finishedAt));
  const judgement = await judgeRunAsync(judgeInputOf(prepared.judging, outcome));
  const judgedAt = ctx.now();
  const written = await finish(ctx, resourceVersion, buildFinishedStatus({ ...ctx.record, judgement, finishedAt }, deps.statusConfig), judgement.verdict);
  if (execution.attempt === 1) {
    const stages = [['execution', sentAt, finishedAt], ['pickup', finishedAt, ctx.at], ['judging', ctx.at, judgedAt], ['write', judgedAt, ctx.now()]] as const;
    for (const [stage, from, to] of stages) observeStage(deps.metrics, execution.path, stage, from, to);
  }
  return written;
}
