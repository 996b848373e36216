// The CodeRun reconciler: observe (caches, an API read where a cache miss would decide, and the
// executions this process holds), plan (planRun, pure), act (the actions in order; any error stops
// the rest and requeues the key with backoff). An attempt gets a pod (a claimed warm pool pod, or
// a cold pod created for it), is recorded in status, and its job goes to the runner in that pod
// through an exec on stdin; the exec runs outside the reconcile (executions.ts) and its end
// enqueues the run, whose next reconcile judges the result and writes the status once. An
// attempt found Running without an execution in this process lost it (restart, new leader) and
// is retried in a fresh pod, a bounded number of times.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CodeRunStatus } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import { isSelfTestRun, runtimeReadiness } from '../../crds/runtime-ready.js';
import type { CodeRunApi, RunIdentity } from '../../kube/coderun-api.js';
import type { EventRecorder } from '../../kube/events.js';
import { execExitCode, type ExecSession, type PodExec } from '../../kube/pod-exec.js';
import type { PoolApi } from '../../kube/pool-api.js';
import type { ReferenceReader } from '../../kube/reference-reader.js';
import type { SandboxApi } from '../../kube/sandbox-api.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import { codeRunLogger } from '../../observability/logger.js';
import type { Reconcile, ReconcileResult } from '../machinery/controller.js';
import { poolTemplateHash, type ObservedRuntime } from '../pool/pool-pod.js';
import { claimWarmPod } from '../pool/warm-claim.js';
import type { WarmSessions } from '../pool/warm-sessions.js';
import { listReferences, resolveInputs } from './inputs.js';
import { Executions, type AttemptRecord, type ExecWork } from './executions.js';
import { buildJobDocument, encodeJobDocument } from './job-document.js';
import { buildJudgingRecord, judgeInputOf, type JudgingRecord } from './judging-record.js';
import type { ResolvedLimits } from './limits.js';
import { FINALIZER, runRef, runtimeNameOf, runView, type ObservedRun } from './observed-run.js';
import { podView } from './observed-pod.js';
import { isTerminal, planRun, type ExecView, type PlanConfig, type PodView, type RunView, type Validity } from './plan.js';
import { execRunOutcome } from './sandbox-outcome.js';
import { runSelector, uidsInUse } from './sandbox-names.js';
import { SANDBOX_CONTAINER, buildSandboxPod, coldRunDeadlineSeconds, maxResultBytes, runnerRunCommand, type SandboxConfig } from './sandbox-pod.js';
import { buildFinishedStatus, buildInvalidStatus, buildRunningStatus, buildSystemErrorStatus, type RunRecord, type StatusConfig } from './status.js';
import { validateCodeRun } from './validate.js';
import { judgeRunAsync } from './verdict.js';

/** How long a pod may be pending without a reason before its events are read. */
const EVENTS_AFTER_MS = 2000;

export interface CodeRunReconcilerDeps {
  runs: { get(key: string): ObservedRun | undefined };
  runtimes: { get(name: string): ObservedRuntime | undefined };
  /** Sandbox and pool pods, keyed "namespace/name". */
  pods: { get(key: string): V1Pod | undefined; list(): V1Pod[] };
  codeRuns: CodeRunApi;
  sandbox: SandboxApi;
  pool: PoolApi;
  exec: Pick<PodExec, 'open'>;
  /** Execs opened ahead into idle pool pods; a claimed pod's is used instead of a new exec. */
  sessions: WarmSessions;
  /** The executions this process holds; their ends enqueue the run. */
  executions: Executions<ReadyAttempt>;
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

/** Everything an attempt needs from start to verdict, built from the spec, its Runtime and its references. */
export interface ReadyAttempt {
  kind: 'ready';
  runtimeName: string;
  runtime: RuntimeSpec;
  limits: ResolvedLimits;
  testCount: number;
  judging: JudgingRecord;
  pod: (attempt: number) => V1Pod;
  /** The gzip'd job document, sent on the runner's stdin. */
  job: Buffer;
}

type Prepared = ReadyAttempt | { kind: 'blocked'; validity: Exclude<Validity, { kind: 'valid' }> };

/** A new Executions store whose ended executions are handed to `enqueue`. */
export function newExecutions(enqueue: (key: string) => void): Executions<ReadyAttempt> {
  return new Executions<ReadyAttempt>(enqueue);
}

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
    const observedRuntime = deps.runtimes.get(runtimeName) ?? (await deps.pool.readRuntime(runtimeName));
    const validation = validateCodeRun(run.spec, observedRuntime);
    if (!validation.valid) return { kind: 'blocked', validity: { kind: 'invalid', reason: validation.reason, message: validation.message } };
    const readiness = isSelfTestRun(run) ? { ready: true as const } : runtimeReadiness(runtimeName, observedRuntime);
    if (!readiness.ready) return { kind: 'blocked', validity: { kind: 'waitingForRuntime', message: readiness.message } };
    const { spec, runtime, limits } = validation;
    const objects = await deps.references.read(run.metadata.namespace, listReferences(spec));
    const resolved = resolveInputs(spec, objects);
    if (resolved.kind === 'missing') return { kind: 'blocked', validity: { kind: 'waitingForReference', message: resolved.message } };
    if (resolved.kind === 'invalid') return { kind: 'blocked', validity: { kind: 'invalid', reason: 'InvalidSpec', message: resolved.message } };
    const job = encodeJobDocument(buildJobDocument(spec, runtime, limits, resolved.inputs));
    if (!job.ok) return { kind: 'blocked', validity: { kind: 'invalid', reason: 'InvalidSpec', message: job.message } };
    const ref = runRef(run);
    const testCount = resolved.inputs.tests.length;
    return {
      kind: 'ready',
      runtimeName,
      runtime,
      limits,
      testCount,
      judging: buildJudgingRecord(spec, limits, resolved.inputs),
      pod: (attempt) => buildSandboxPod({ run: ref, runtimeName, runtime, limits, testCount, attempt, uidsInUse: uidsInUse(deps.pods.list()) }, deps.sandboxConfig),
      job: job.bytes,
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
      deps.executions.forget(key);
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
    const exec: ExecView = view.podName === undefined ? { kind: 'none' } : deps.executions.view(key, view.attempts, view.podName);
    let actions = planRun(view, validity, podSeen, exec, at, deps.plan);
    if (actions.length > 0) log.debug({ actions: actions.map((a) => a.type) }, 'reconcile plan');

    const identity: RunIdentity = { namespace: run.metadata.namespace, name: run.metadata.name, resourceVersion: run.metadata.resourceVersion };
    const record: RunRecord = { path: view.path ?? 'cold', podName: view.podName, attempts: view.attempts, startedAt: view.startedAt, observedGeneration: run.metadata.generation };

    const finish = async (status: CodeRunStatus, verdictLabel: string): Promise<void> => {
      await deps.codeRuns.patchStatus(identity, status);
      wroteOver(key, identity.resourceVersion);
      // Submissions only: a Runtime's self-test is the platform checking itself.
      if (!isSelfTestRun(run)) deps.metrics.runsTotal.inc({ runtime: runtimeName, verdict: verdictLabel, path: status.path ?? 'none' });
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
      actions = planRun({ ...view, hasFinalizer: true }, validity, podSeen, exec, at, deps.plan);
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
          deps.executions.forget(key);
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
          if (action.retrying !== undefined) {
            // Never the program's fault: said where its owner looks, not judged.
            log.warn({ attempt: action.attempt, cause: action.retrying }, 'retrying in a fresh pod');
            deps.events.record(ref, 'Warning', 'Retrying', `attempt ${action.attempt - 1} failed: ${action.retrying}; starting attempt ${action.attempt} in a fresh pod`);
          }
          const warm = await claimWarmPod(deps, {
            run: ref,
            runtimeName: prepared.runtimeName,
            attempt: action.attempt,
            // A self-test always runs cold: it must not take a pod a submission is waiting for.
            poolSpecHash: isSelfTestRun(run) ? undefined : poolTemplateHash(deps.runtimes.get(prepared.runtimeName), deps.sandboxConfig),
            waitedMs: at.getTime() - view.createdAt.getTime(),
            warmWaitMs: deps.warmWaitMs,
          });
          if (warm.kind === 'wait') return { requeueAfterMs: warm.ms };
          if (warm.kind === 'claimed') {
            await startWarm(key, run, view, prepared, action.attempt, warm.pod, identity, log);
            break;
          }
          const newPod = prepared.pod(action.attempt);
          const podName = newPod.metadata?.name;
          if (podName === undefined) throw new Error('a sandbox pod was built without a name');
          await deps.sandbox.createPod(newPod);
          // Held before the status names the pod, so no reconcile sees the attempt without it.
          deps.executions.awaitPod(key, { attempt: action.attempt, podName, path: 'cold', prepared });
          await deps.codeRuns.patchStatus(
            identity,
            buildRunningStatus({ ...record, path: 'cold', podName, attempts: action.attempt, startedAt: view.startedAt ?? at, now: at }),
          );
          wroteOver(key, identity.resourceVersion);
          if (action.attempt === 1) deps.metrics.runQueueSeconds.observe({ runtime: runtimeName, path: 'cold' }, secondsBetween(view.createdAt, at));
          deps.events.record(ref, 'Normal', 'Started', `attempt ${action.attempt} in sandbox pod ${podName}`);
          log.info({ pod: podName, attempt: action.attempt }, 'run started');
          break;
        }
        case 'sendJob': {
          const execution = deps.executions.get(key, view.attempts, view.podName);
          if (execution === undefined) throw new Error('sendJob planned without an execution');
          const createdAt = pod?.metadata?.creationTimestamp;
          if (createdAt !== undefined) deps.metrics.runStartSeconds.observe({ runtime: runtimeName, path: 'cold' }, secondsBetween(new Date(createdAt), at));
          deps.executions.start(key, execution, execWork(execution, undefined));
          break;
        }
        case 'finishAttempt':
          await finishAttempt(key, view, record, finish);
          break;
        case 'requeueAfter':
          return { requeueAfterMs: action.ms };
      }
    }
  };

  /** Runs the attempt's job through the pod's runner: `session` if one was opened ahead, else a new exec. */
  function execWork(attempt: AttemptRecord<ReadyAttempt>, session: ExecSession | undefined): ExecWork {
    const { prepared, podName } = attempt;
    const bounds = {
      timeoutMs: coldRunDeadlineSeconds(prepared.limits, prepared.testCount, deps.sandboxConfig) * 1000,
      maxOutputBytes: maxResultBytes(prepared.limits, prepared.testCount),
      closeInputAfterLine: true,
    };
    return async (signal) => {
      const open = session ?? (await deps.exec.open({ namespace: deps.sandboxConfig.namespace, pod: podName, container: SANDBOX_CONTAINER, command: runnerRunCommand() }));
      const cancel = (): void => open.close();
      signal.addEventListener('abort', cancel, { once: true });
      if (signal.aborted) cancel();
      try {
        const result = await open.send(prepared.job, bounds);
        return execRunOutcome({
          exitCode: execExitCode(result.status),
          statusMessage: result.status.message,
          stdout: result.stdout.toString('utf8'),
          stderr: result.stderr.toString('utf8'),
        });
      } finally {
        signal.removeEventListener('abort', cancel);
      }
    };
  }

  /**
   * A warm attempt's start: the claimed pod is recorded in status first (a retry after a conflict
   * or a restart then finds it), then the job goes to the runner waiting in the pod.
   */
  async function startWarm(key: string, run: ObservedRun, view: RunView, prepared: ReadyAttempt, attempt: number, pod: V1Pod, identity: RunIdentity, log: Logger): Promise<void> {
    const podName = pod.metadata?.name;
    if (podName === undefined) throw new Error('a claimed pool pod has no name');
    const claimedAt = now();
    const record: RunRecord = { path: 'warm', podName, attempts: attempt, startedAt: view.startedAt ?? claimedAt, observedGeneration: run.metadata.generation };
    const runningVersion = await deps.codeRuns.patchStatus(identity, buildRunningStatus({ ...record, now: claimedAt }));
    wroteOver(key, identity.resourceVersion);
    identity.resourceVersion = runningVersion;
    if (attempt === 1) deps.metrics.runQueueSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(view.createdAt, claimedAt));
    const session = deps.sessions.take(podName);
    deps.metrics.warmExecs.inc({ runtime: prepared.runtimeName, session: session === undefined ? 'at-claim' : 'ahead' });
    deps.metrics.runStartSeconds.observe({ runtime: prepared.runtimeName, path: 'warm' }, secondsBetween(claimedAt, now()));
    const execution = { attempt, podName, path: 'warm' as const, prepared };
    deps.executions.start(key, execution, execWork(execution, session));
    log.debug({ pod: podName, attempt }, 'warm run started');
  }

  /** Judges the ended execution's result and writes the terminal status, once. */
  async function finishAttempt(key: string, view: RunView, record: RunRecord, finish: (status: CodeRunStatus, verdictLabel: string) => Promise<void>): Promise<void> {
    const execution = deps.executions.get(key, view.attempts, view.podName);
    if (execution?.state !== 'done') throw new Error('finishAttempt planned without an ended execution');
    const { prepared, outcome, sentAt, finishedAt } = execution;
    deps.metrics.runExecutionSeconds.observe({ runtime: prepared.runtimeName, path: execution.path }, secondsBetween(sentAt, finishedAt));
    const judgement = await judgeRunAsync(judgeInputOf(prepared.judging, outcome));
    await finish(buildFinishedStatus({ ...record, judgement, finishedAt }, deps.statusConfig), judgement.verdict);
  }
}

function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

