// What every stage of a CodeRun reconcile works with: the edges (deps) and one run's reconcile
// (RunContext), made once per reconcile and never changed.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CodeRunStatus } from '../../crds/coderun.js';
import type { CodeRunApi } from '../../kube/coderun-api.js';
import type { EventRecorder } from '../../kube/events.js';
import type { PodExec } from '../../kube/pod-exec.js';
import type { ByteBudget } from '../../machinery/byte-budget.js';
import type { SandboxApi } from '../../kube/sandbox-api.js';
import type { DomainMetrics, RunStage } from '../../observability/domain-metrics.js';
import type { WarmPool } from '../../sandbox/warm-pool.js';
import type { Executions } from './executions.js';
import type { ObservedRun } from './observed-run.js';
import type { PlanConfig, RunView } from './plan.js';
import type { PrepareDeps, ReadyAttempt } from './prepare.js';
import type { RunRecord, StatusConfig } from './status.js';

export interface CodeRunReconcilerDeps extends PrepareDeps {
  runs: { get(key: string): ObservedRun | undefined };
  /** Sandbox and pool pods, keyed "namespace/name". */
  pods: { get(key: string): V1Pod | undefined; list(): V1Pod[] };
  codeRuns: Pick<CodeRunApi, 'patchStatus' | 'setFinalizers' | 'delete'>;
  sandbox: Pick<SandboxApi, 'createPod' | 'readPod' | 'deleteAll' | 'podWarnings'>;
  exec: Pick<PodExec, 'open'>;
  /** Bytes of results in flight (what runners may send back at once). */
  resultBudget: Pick<ByteBudget, 'acquire'>;
  /** Pool pods to claim, and the execs opened ahead into them. */
  warm: WarmPool;
  /** The executions this process holds; their ends enqueue the run. */
  executions: Executions<ReadyAttempt>;
  events: Pick<EventRecorder, 'record'>;
  metrics: DomainMetrics;
  logger: Logger;
  statusConfig: StatusConfig;
  plan: PlanConfig;
  now?: () => Date;
}

/** One reconcile of one run. */
export interface RunContext {
  deps: CodeRunReconcilerDeps;
  key: string;
  run: ObservedRun;
  view: RunView;
  runtimeName: string;
  /** When the reconcile observed the run. */
  at: Date;
  /** When the run's key was queued for this reconcile (its informer event, or a requeue). */
  queuedAt: Date;
  record: RunRecord;
  log: Logger;
  now: () => Date;
  /** Called with the version a write replaced: the cache showing it again is stale. */
  wroteOver: (resourceVersion: string) => void;
}

/** Writes a status over `resourceVersion`; returns the version written. */
export async function writeStatus(ctx: RunContext, resourceVersion: string, status: CodeRunStatus): Promise<string> {
  const { namespace, name } = ctx.run.metadata;
  const written = await ctx.deps.codeRuns.patchStatus({ namespace, name, resourceVersion }, status);
  ctx.wroteOver(resourceVersion);
  return written;
}

export function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

/** Records the time a run spent in one stage (coderun_run_stage_duration_seconds). */
export function observeStage(metrics: DomainMetrics, path: 'warm' | 'cold', stage: RunStage, from: Date, to: Date): void {
  metrics.runStageSeconds.observe({ path, stage }, secondsBetween(from, to));
}
