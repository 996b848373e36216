// The CodeRun reconciler: observe (caches, and an API read where a cache miss would decide),
// plan (planRun, pure), act (the actions in order; any error stops the rest and requeues the key
// with backoff). Everything it needs to continue after a restart is in the API: the status names
// the attempt and its pod, and the attempt's ConfigMap holds the job and what to judge it by.
// A warm attempt claims a pool pod, records it in status, runs the job through exec and writes
// the result, all inside one reconcile: a warm attempt found still Running by a later reconcile
// lost its exec (restart, broken connection) and is retried in a fresh pod.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CodeRunStatus } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import type { CodeRunApi, RunIdentity } from '../../kube/coderun-api.js';
import type { EventRecorder } from '../../kube/events.js';
import { execExitCode, type PodExec } from '../../kube/pod-exec.js';
import type { PoolApi } from '../../kube/pool-api.js';
import type { ReferenceReader } from '../../kube/reference-reader.js';
import type { SandboxApi } from '../../kube/sandbox-api.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import { codeRunLogger } from '../../observability/logger.js';
import type { Reconcile, ReconcileResult } from '../machinery/controller.js';
import { poolSpecHashOf } from '../pool/pool-deployment.js';
import { desiredPoolDeployment, type ObservedRuntime } from '../pool/pool-reconciler.js';
import { claimWarmPod } from '../pool/warm-claim.js';
import type { WarmSessions } from '../pool/warm-sessions.js';
import { warmRunOutcome } from '../pool/warm-outcome.js';
import { listReferences, resolveInputs } from './inputs.js';
import { buildJobConfigMap } from './job-configmap.js';
import { buildJobDocument, encodeJobDocument } from './job-document.js';
import { buildJudgingRecord, decodeJudgingRecord, encodeJudgingRecord, judgeInputOf, type JudgingRecord } from './judging-record.js';
import type { ResolvedLimits } from './limits.js';
import { FINALIZER, runRef, runtimeNameOf, runView, type ObservedRun } from './observed-run.js';
import { coldRunTimings, podView } from './observed-pod.js';
import { isTerminal, planRun, type PlanConfig, type PodView, type RunView, type Validity } from './plan.js';
import { coldRunOutcome } from './sandbox-outcome.js';
import { jobConfigMapName, runSelector } from './sandbox-names.js';
import { JUDGING_CONFIGMAP_KEY, SANDBOX_CONTAINER, buildSandboxPod, coldRunDeadlineSeconds, runnerRunCommand, type SandboxConfig } from './sandbox-pod.js';
import { buildFinishedStatus, buildInvalidStatus, buildRunningStatus, buildSystemErrorStatus, type RunRecord, type StatusConfig } from './status.js';
import { validateCodeRun } from './validate.js';
import { judgeRun } from './verdict.js';

/** How long a pod may be pending without a reason before its events are read. */
const EVENTS_AFTER_MS = 2000;

/** The most of a sandbox container's log read back: the result document with every output. */
const RESULT_LOG_LIMIT_BYTES = 128 * 1024 * 1024;

export interface CodeRunReconcilerDeps {
  runs: { get(key: string): ObservedRun | undefined };
  runtimes: { get(name: string): ObservedRuntime | undefined };
  /** Sandbox and pool pods, keyed "namespace/name". */
  pods: { get(key: string): V1Pod | undefined; list(): V1Pod[] };
  codeRuns: CodeRunApi;
  sandbox: SandboxApi;
  pool: PoolApi;
  exec: PodExec;
  /** Execs opened ahead into idle pool pods; a claimed pod's is used instead of a new exec. */
  sessions: WarmSessions;
  /** How long a run may wait for an idle pool pod before it takes the cold path. */
  warmWaitMs: number;
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
  | {
      kind: 'ready';
      runtimeName: string;
      runtime: RuntimeSpec;
      limits: ResolvedLimits;
      judging: JudgingRecord;
      pod: (attempt: number) => V1Pod;
      blobs: { job: Buffer; judging: Buffer };
    }
  | { kind: 'blocked'; validity: Exclude<Validity, { kind: 'valid' }> };

export function codeRunReconciler(deps: CodeRunReconcilerDeps): Reconcile {
  const now = deps.now ?? (() => new Date());

  // A pod pending for a while with no reason in its status: its Warning events may name one (a
  // kubelet keeps a container at PodInitializing while the events say ErrImageNeverPull).
  async function observePod(pod: V1Pod | undefined, at: Date): Promise<PodView> {
    const seen = podView(pod);
    const uid = pod?.metadata?.uid;
    if (seen.kind !== 'pending' || seen.waitingReason !== undefined || uid === undefined) return seen;
    if (at.getTime() - seen.createdAt.getTime() < EVENTS_AFTER_MS) return seen;
    return podView(pod, await deps.sandbox.podWarnings(uid));
  }

  async function prepare(run: ObservedRun): Promise<Prepared> {
    const runtimeName = runtimeNameOf(run);
    const validation = validateCodeRun(run.spec, deps.runtimes.get(runtimeName) ?? (await deps.pool.readRuntime(runtimeName)));
    if (!validation.valid) return { kind: 'blocked', validity: { kind: 'invalid', reason: validation.reason, message: validation.message } };
    const { spec, runtime, limits } = validation;
    const objects = await deps.references.read(run.metadata.namespace, listReferences(spec));
    const resolved = resolveInputs(spec, objects);
    if (resolved.kind === 'missing') return { kind: 'blocked', validity: { kind: 'waitingForReference', message: resolved.message } };
    if (resolved.kind === 'invalid') return { kind: 'blocked', validity: { kind: 'invalid', reason: 'InvalidSpec', message: resolved.message } };
    const ref = runRef(run);
    const judging = buildJudgingRecord(spec, limits, resolved.inputs);
    return {
      kind: 'ready',
      runtimeName,
      runtime,
      limits,
      judging,
      pod: (attempt) =>
        buildSandboxPod({ run: ref, runtimeName, runtime, limits, testCount: resolved.inputs.tests.length, attempt }, deps.sandboxConfig),
      blobs: {
        job: encodeJobDocument(buildJobDocument(spec, runtime, limits, resolved.inputs)),
        judging: encodeJudgingRecord(judging),
      },
    };
  }

  // Versions of each run this process wrote over: the cache still showing one of them is stale
  // (our write's event has yet to arrive), and acting on it could claim a second pool pod.
  const writtenOver = new Map<string, Set<string>>();
  const wroteOver = (key: string, resourceVersion: string): void => {
    const versions = writtenOver.get(key) ?? new Set<string>();
    versions.add(resourceVersion);
    writtenOver.set(key, versions);
  };

  return async (key): Promise<ReconcileResult | void> => {
    const run = deps.runs.get(key);
    if (run === undefined) {
      writtenOver.delete(key);
      return;
    }
    if (writtenOver.get(key)?.has(run.metadata.resourceVersion)) return;
    writtenOver.delete(key);
    const log = codeRunLogger(deps.logger, { namespace: run.metadata.namespace, name: run.metadata.name });
    const view: RunView = { ...runView(run), path: run.status?.path };
    const runtimeName = runtimeNameOf(run);
    const at = now();

    // Preparation reads references: only a run that has yet to start needs it (a new run starts in
    // the same reconcile that adds its finalizer).
    const needsStart = !view.deleting && view.phase !== 'Completed' && view.phase !== 'Failed' && view.podName === undefined;
    let prepared: Prepared | undefined = needsStart ? await prepare(run) : undefined;
    const validity: Validity = prepared?.kind === 'blocked' ? prepared.validity : { kind: 'valid' };

    let pod: V1Pod | undefined;
    if (view.podName !== undefined) {
      const cached = deps.pods.get(`${deps.sandboxConfig.namespace}/${view.podName}`);
      if (isTerminal(view.phase)) {
        // A finished run's pod is only ever deleted: the cache is enough, and a pod already being
        // deleted needs no second delete.
        pod = cached?.metadata?.deletionTimestamp === undefined ? cached : undefined;
      } else {
        // A cache miss right after the pod was created must not look like a lost pod: ask the API.
        pod = cached ?? (await deps.sandbox.readPod(view.podName));
      }
    }

    const podSeen = await observePod(pod, at);
    let actions = planRun(view, validity, podSeen, at, deps.plan);
    if (actions.length > 0) log.debug({ actions: actions.map((a) => a.type) }, 'reconcile plan');

    const identity: RunIdentity = { namespace: run.metadata.namespace, name: run.metadata.name, resourceVersion: run.metadata.resourceVersion };
    const record: RunRecord = { path: view.path ?? 'cold', podName: view.podName, attempts: view.attempts, startedAt: view.startedAt, observedGeneration: run.metadata.generation };

    const finish = async (status: CodeRunStatus, verdictLabel: string): Promise<void> => {
      await deps.codeRuns.patchStatus(identity, status);
      wroteOver(key, identity.resourceVersion);
      deps.metrics.runsTotal.inc({ runtime: runtimeName, verdict: verdictLabel, path: status.path ?? 'none' });
      const warning = status.phase === 'Failed';
      deps.events.record(runRef(run), warning ? 'Warning' : 'Normal', verdictLabel, status.message ?? verdictLabel);
      log.info({ phase: status.phase, verdict: status.verdict, message: status.message }, 'run finished');
    };

    if (actions[0]?.type === 'addFinalizer') {
      const written = await deps.codeRuns.setFinalizers(identity, [...(run.metadata.finalizers ?? []), FINALIZER]);
      wroteOver(key, identity.resourceVersion);
      identity.resourceVersion = written;
      // Plan again on what was just written instead of waiting for its watch event: in a burst
      // that round trip through a busy API server costs more than a warm run.
      actions = planRun({ ...view, hasFinalizer: true }, validity, podSeen, at, deps.plan);
      if (actions.length > 0) log.debug({ actions: actions.map((a) => a.type) }, 'reconcile plan, finalizer added');
    }

    for (const action of actions) {
      switch (action.type) {
        case 'addFinalizer':
          throw new Error('unreachable: the finalizer was added before the plan ran again');
        case 'removeFinalizer':
          await deps.codeRuns.setFinalizers(identity, (run.metadata.finalizers ?? []).filter((f) => f !== FINALIZER));
          wroteOver(key, identity.resourceVersion);
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
          const warm = await claimWarmPod(deps, {
            run: ref,
            runtimeName: prepared.runtimeName,
            attempt: action.attempt,
            poolSpecHash: poolSpecHashOf(desiredPoolDeployment(deps.runtimes.get(prepared.runtimeName), deps.sandboxConfig)),
            waitedMs: at.getTime() - view.createdAt.getTime(),
            warmWaitMs: deps.warmWaitMs,
          });
          if (warm.kind === 'wait') return { requeueAfterMs: warm.ms };
          if (warm.kind === 'claimed') {
            await serveWarm(key, run, view, prepared, action.attempt, warm.pod, identity, finish, log);
            break;
          }
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
            buildRunningStatus({ ...record, path: 'cold', podName: newPod.metadata?.name, attempts: action.attempt, startedAt: view.startedAt ?? at, now: at }),
          );
          wroteOver(key, identity.resourceVersion);
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

  /**
   * A warm attempt, start to end: the claimed pod is recorded in status first (a retry after a
   * conflict or a restart then finds it), the job goes in through exec on stdin, the result comes
   * back on stdout, the status is written once over the Running version, the pod is deleted.
   */
  async function serveWarm(
    key: string,
    run: ObservedRun,
    view: RunView,
    prepared: Extract<Prepared, { kind: 'ready' }>,
    attempt: number,
    pod: V1Pod,
    identity: RunIdentity,
    finish: (status: CodeRunStatus, verdictLabel: string) => Promise<void>,
    log: Logger,
  ): Promise<void> {
    const podName = pod.metadata?.name;
    if (podName === undefined) throw new Error('a claimed pool pod has no name');
    const claimedAt = now();
    const record: RunRecord = { path: 'warm', podName, attempts: attempt, startedAt: view.startedAt ?? claimedAt, observedGeneration: run.metadata.generation };
    const runningVersion = await deps.codeRuns.patchStatus(identity, buildRunningStatus({ ...record, now: claimedAt }));
    wroteOver(key, identity.resourceVersion);
    identity.resourceVersion = runningVersion;
    if (attempt === 1) deps.metrics.runQueueSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(view.createdAt, claimedAt));
    log.debug({ pod: podName, attempt }, 'warm run started');

    const execStart = now();
    deps.metrics.runStartSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(claimedAt, execStart));
    const timeoutMs = coldRunDeadlineSeconds(prepared.limits, prepared.judging.tests.length, deps.sandboxConfig) * 1000;
    const session = deps.sessions.take(podName);
    deps.metrics.warmExecs.inc({ runtime: prepared.runtimeName, session: session === undefined ? 'at-claim' : 'ahead' });
    const result =
      session === undefined
        ? await deps.exec.run({
            namespace: deps.sandboxConfig.namespace,
            pod: podName,
            container: SANDBOX_CONTAINER,
            command: runnerRunCommand(),
            stdin: prepared.blobs.job,
            timeoutMs,
          })
        : await session.send(prepared.blobs.job, timeoutMs);
    const finishedAt = now();
    deps.metrics.runExecutionSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(execStart, finishedAt));
    const outcome = warmRunOutcome({
      exitCode: execExitCode(result.status),
      statusMessage: result.status.message,
      stdout: result.stdout.toString('utf8'),
      stderr: result.stderr.toString('utf8'),
    });
    const judgement = judgeRun(judgeInputOf(prepared.judging, outcome));
    await finish(buildFinishedStatus({ ...record, judgement, finishedAt }, deps.statusConfig), judgement.verdict);
    log.debug(
      { pod: podName, recordMs: execStart.getTime() - claimedAt.getTime(), execMs: finishedAt.getTime() - execStart.getTime(), writeMs: now().getTime() - finishedAt.getTime() },
      'warm run timings',
    );
    // One pod serves one run: it goes now, with whatever the run left in it.
    await deps.pool.deletePod(podName);
  }

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

