// What `helm uninstall` does to a CodeRun (the chart's pre-delete hook, src/uninstall.ts). The
// CRDs and the CodeRuns stay (a judge's record of submissions is its own), but nothing may stay
// stuck: a run in flight is ended as SystemError (exactly once: the write is guarded by the
// run's resourceVersion, like the operator's own), and the finalizer is removed, so a run can be
// deleted once no operator is left to clean up after it.
import { FINALIZER, runView, type ObservedRun } from './observed-run.js';
import { isTerminal } from './plan.js';
import { buildSystemErrorStatus } from './status.js';
import type { CodeRunStatus } from '../../crds/coderun.js';

export const UNINSTALLED_MESSAGE = 'coderun was uninstalled while this run was in flight; submit it again once coderun is installed';

export interface UninstallStep {
  /** The terminal status to write, when the run is not terminal yet. */
  status: CodeRunStatus | undefined;
  /** The finalizers to keep, when the run holds coderun's. */
  finalizers: string[] | undefined;
}

export function uninstallStep(run: ObservedRun, now: Date): UninstallStep {
  const view = runView(run);
  const status = isTerminal(view.phase)
    ? undefined
    : buildSystemErrorStatus({
        message: UNINSTALLED_MESSAGE,
        finishedAt: now,
        path: run.status?.path,
        podName: view.podName,
        attempts: view.attempts,
        startedAt: view.startedAt,
        observedGeneration: run.metadata.generation,
      });
  const finalizers = view.hasFinalizer ? (run.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) : undefined;
  return { status, finalizers };
}
