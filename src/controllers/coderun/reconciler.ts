// The CodeRun reconciler: observe (caches, and an API read where a cache miss would decide),
// plan (planRun, pure), act (the actions in order; any error stops the rest and requeues the key
// with backoff). Everything it needs to continue after a restart is in the API: the status names
// the attempt and its pod, and the attempt's ConfigMap holds the job and what to judge it by.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CodeRunStatus } from '../../crds/coderun.js';
import type { CodeRunApi } from '../../kube/coderun-api.js';
import type { EventRecorder } from '../../kube/events.js';
import type { ReferenceReader } from '../../kube/reference-reader.js';
import type { SandboxApi } from '../../kube/sandbox-api.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import { codeRunLogger } from '../../observability/logger.js';
import type { Reconcile, ReconcileResult } from '../machinery/controller.js';
import { listReferences, resolveInputs } from './inputs.js';
import { buildJobConfigMap } from './job-configmap.js';
import { buildJobDocument, encodeJobDocument } from './job-document.js';
import { buildJudgingRecord, decodeJudgingRecord, encodeJudgingRecord, judgeInputOf } from './judging-record.js';
import { FINALIZER, runRef, runtimeNameOf, runView, type ObservedRun } from './observed-run.js';
import { coldRunTimings, podView } from './observed-pod.js';
import { planRun, type PlanConfig, type RunView, type Validity } from './plan.js';
import { coldRunOutcome } from './sandbox-outcome.js';
import { jobConfigMapName, runSelector } from './sandbox-names.js';
import { JUDGING_CONFIGMAP_KEY, SANDBOX_CONTAINER, buildSandboxPod, type SandboxConfig } from './sandbox-pod.js';
import { buildFinishedStatus, buildInvalidStatus, buildRunningStatus, buildSystemErrorStatus, type RunRecord, type StatusConfig } from './status.js';
import { validateCodeRun } from './validate.js';
import { judgeRun } from './verdict.js';

/** The most of a sandbox container's log read back: the result document with every output. */
const RESULT_LOG_LIMIT_BYTES = 128 * 1024 * 1024;

export interface CodeRunReconcilerDeps {
  runs: { get(key: string): ObservedRun | undefined };
  runtimes: { get(name: string): unknown };
  /** Sandbox pods, keyed "namespace/name". */
  pods: { get(key: string): V1Pod | undefined };
  codeRuns: CodeRunApi;
  sandbox: SandboxApi;
  references: ReferenceReader;
  events: EventRecorder;
  metrics: DomainMetrics;
  logger: Logger;
  sandboxConfig: SandboxConfig;
  statusConfig: StatusConfig;
  plan: PlanConfig;
  now?: () => Date;
}

/** Everything a new attempt needs, built from the spec, its Runtime and its references. */
type Prepared =
  | { kind: 'ready'; runtimeName: string; pod: (attempt: number) => V1Pod; blobs: { job: Buffer; judging: Buffer } }
  | { kind: 'blocked'; validity: Exclude<Validity, { kind: 'valid' }> };

export function codeRunReconciler(deps: CodeRunReconcilerDeps): Reconcile {
  const now = deps.now ?? (() => new Date());

  async function prepare(run: ObservedRun): Promise<Prepared> {
    const runtimeName = runtimeNameOf(run);
    const validation = validateCodeRun(run.spec, deps.runtimes.get(runtimeName));
    if (!validation.valid) return { kind: 'blocked', validity: { kind: 'invalid', reason: validation.reason, message: validation.message } };
    const { spec, runtime, limits } = validation;
    const objects = await deps.references.read(run.metadata.namespace, listReferences(spec));
    const resolved = resolveInputs(spec, objects);
    if (resolved.kind === 'missing') return { kind: 'blocked', validity: { kind: 'waitingForReference', message: resolved.message } };
    if (resolved.kind === 'invalid') return { kind: 'blocked', validity: { kind: 'invalid', reason: 'InvalidSpec', message: resolved.message } };
    const ref = runRef(run);
    return {
      kind: 'ready',
      runtimeName,
      pod: (attempt) =>
        buildSandboxPod({ run: ref, runtimeName, runtime, limits, testCount: resolved.inputs.tests.length, attempt }, deps.sandboxConfig),
      blobs: {
        job: encodeJobDocument(buildJobDocument(spec, runtime, limits, resolved.inputs)),
        judging: encodeJudgingRecord(buildJudgingRecord(spec, limits, resolved.inputs)),
      },
    };
  }

  return async (key): Promise<ReconcileResult | void> => {
    const run = deps.runs.get(key);
    if (run === undefined) return;
    const log = codeRunLogger(deps.logger, { namespace: run.metadata.namespace, name: run.metadata.name });
    const view = runView(run);
    const runtimeName = runtimeNameOf(run);
    const at = now();

    // Preparation reads references: only a run that has yet to start needs it.
    const needsStart = !view.deleting && view.hasFinalizer && view.phase !== 'Completed' && view.phase !== 'Failed' && view.podName === undefined;
    let prepared: Prepared | undefined = needsStart ? await prepare(run) : undefined;
    const validity: Validity = prepared?.kind === 'blocked' ? prepared.validity : { kind: 'valid' };

    let pod: V1Pod | undefined;
    if (view.podName !== undefined) {
      // A cache miss right after the pod was created must not look like a lost pod: ask the API.
      pod = deps.pods.get(`${deps.sandboxConfig.namespace}/${view.podName}`) ?? (await deps.sandbox.readPod(view.podName));
    }

    const actions = planRun(view, validity, podView(pod), at, deps.plan);
    if (actions.length > 0) log.debug({ actions: actions.map((a) => a.type) }, 'reconcile plan');

    const identity = { namespace: run.metadata.namespace, name: run.metadata.name, resourceVersion: run.metadata.resourceVersion };
    const record: RunRecord = { path: 'cold', podName: view.podName, attempts: view.attempts, startedAt: view.startedAt, observedGeneration: run.metadata.generation };

    const finish = async (status: CodeRunStatus, verdictLabel: string): Promise<void> => {
      await deps.codeRuns.patchStatus(identity, status);
      deps.metrics.runsTotal.inc({ runtime: runtimeName, verdict: verdictLabel, path: status.path ?? 'none' });
      const warning = status.phase === 'Failed';
      deps.events.record(runRef(run), warning ? 'Warning' : 'Normal', verdictLabel, status.message ?? verdictLabel);
      log.info({ phase: status.phase, verdict: status.verdict, message: status.message }, 'run finished');
    };

    for (const action of actions) {
      switch (action.type) {
        case 'addFinalizer':
          await deps.codeRuns.setFinalizers(identity, [...(run.metadata.finalizers ?? []), FINALIZER]);
          break;
        case 'removeFinalizer':
          await deps.codeRuns.setFinalizers(identity, (run.metadata.finalizers ?? []).filter((f) => f !== FINALIZER));
          break;
        case 'deleteChildren':
          await deps.sandbox.deleteAll(runSelector(runRef(run)));
          break;
        case 'deleteRun':
          log.info('deleting the run: ttlSecondsAfterFinished has passed');
          await deps.codeRuns.delete(run.metadata);
          break;
        case 'failInvalid':
          await finish(
            buildInvalidStatus({ reason: action.reason, message: action.message, now: at, observedGeneration: run.metadata.generation }, deps.statusConfig),
            'Invalid',
          );
          break;
        case 'failSystem':
          await finish(buildSystemErrorStatus({ ...record, message: action.message, finishedAt: at }, deps.statusConfig), 'SystemError');
          break;
        case 'startAttempt': {
          prepared ??= await prepare(run);
          if (prepared.kind === 'blocked') {
            // Only a retry gets here (a first attempt was planned from the same validity).
            await finish(
              buildSystemErrorStatus({ ...record, message: `attempt ${action.attempt} cannot start: ${prepared.validity.message}`, finishedAt: at }, deps.statusConfig),
              'SystemError',
            );
            return;
          }
          const ref = runRef(run);
          const configMap = buildJobConfigMap({ run: ref, runtimeName: prepared.runtimeName, attempt: action.attempt }, prepared.blobs, deps.sandboxConfig);
          if (!configMap.ok) {
            await finish(buildInvalidStatus({ reason: 'InvalidSpec', message: configMap.message, now: at, observedGeneration: run.metadata.generation }, deps.statusConfig), 'Invalid');
            return;
          }
          const newPod = prepared.pod(action.attempt);
          await deps.sandbox.createConfigMap(configMap.configMap);
          await deps.sandbox.createPod(newPod);
          await deps.codeRuns.patchStatus(
            identity,
            buildRunningStatus({ ...record, podName: newPod.metadata?.name, attempts: action.attempt, startedAt: view.startedAt ?? at, now: at }),
          );
          if (action.attempt === 1) deps.metrics.runQueueSeconds.observe({ runtime: runtimeName, path: 'cold' }, secondsBetween(view.createdAt, at));
          deps.events.record(ref, 'Normal', 'Started', `attempt ${action.attempt} in sandbox pod ${newPod.metadata?.name ?? '?'}`);
          log.info({ pod: newPod.metadata?.name, attempt: action.attempt }, 'run started');
          break;
        }
        case 'collectResult':
          await collect(run, view, pod, record, finish, log);
          break;
        case 'requeueAfter':
          return { requeueAfterMs: action.ms };
      }
    }
  };

  async function collect(
    run: ObservedRun,
    view: RunView,
    pod: V1Pod | undefined,
    record: RunRecord,
    finish: (status: CodeRunStatus, verdictLabel: string) => Promise<void>,
    log: Logger,
  ): Promise<void> {
    const at = now();
    if (pod === undefined || view.podName === undefined) throw new Error('collectResult planned without a pod');
    const configMap = await deps.sandbox.readConfigMap(jobConfigMapName(runRef(run), view.attempts));
    const stored = configMap?.binaryData?.[JUDGING_CONFIGMAP_KEY];
    const judging = stored === undefined ? undefined : decodeJudgingRecord(Buffer.from(stored, 'base64'));
    if (judging === undefined || !judging.ok) {
      const why = judging === undefined ? `the job ConfigMap of attempt ${view.attempts} is gone` : judging.message;
      await finish(buildSystemErrorStatus({ ...record, message: `cannot judge the run: ${why}`, finishedAt: at }, deps.statusConfig), 'SystemError');
      return;
    }
    const logText = await deps.sandbox.readLog(view.podName, SANDBOX_CONTAINER, RESULT_LOG_LIMIT_BYTES);
    const judgement = judgeRun(judgeInputOf(judging.record, coldRunOutcome(pod, logText)));
    const status = buildFinishedStatus({ ...record, judgement, finishedAt: at }, deps.statusConfig);
    await finish(status, judgement.verdict);
    const runtime = runtimeNameOf(run);
    const timings = coldRunTimings(pod);
    if (timings.startSeconds !== undefined) deps.metrics.runStartSeconds.observe({ runtime, path: 'cold' }, timings.startSeconds);
    if (timings.executionSeconds !== undefined) deps.metrics.runExecutionSeconds.observe({ runtime, path: 'cold' }, timings.executionSeconds);
    log.debug({ timings }, 'cold run timings');
  }
}

function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

