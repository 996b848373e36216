// Everything an attempt needs from start to verdict, built once from the spec, its Runtime and
// its references; or why the run cannot start.
import type { V1Pod } from '@kubernetes/client-node';
import { isSelfTestRun, runtimeReadiness } from '../../crds/runtime-ready.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import type { ResolvedLimits } from '../../sandbox/limits.js';
import { uidsInUse } from '../../sandbox/names.js';
import { buildSandboxPod } from '../../sandbox/pod.js';
import type { PoolApi } from '../../kube/pool-api.js';
import type { ReferenceReader } from '../../kube/reference-reader.js';
import type { SandboxConfig } from '../../sandbox/pod.js';
import { resolveJudge, type JudgeKind } from './checker.js';
import { listReferences, resolveInputs } from './inputs.js';
import { buildJobDocument, encodeJobDocument } from './job-document.js';
import { buildJudgingRecord, type JudgingRecord } from './judging-record.js';
import { runRef, runtimeNameOf, type ObservedRun } from './observed-run.js';
import type { Validity } from './plan.js';
import { validateCodeRun } from './validate.js';

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

export type Prepared = ReadyAttempt | { kind: 'blocked'; validity: Exclude<Validity, { kind: 'valid' }> };

export interface PrepareDeps {
  runtimes: { get(name: string): { spec: unknown } | undefined };
  /** Sandbox pods in use (their uids are taken). */
  pods: { list(): V1Pod[] };
  pool: Pick<PoolApi, 'readRuntime'>;
  references: Pick<ReferenceReader, 'read'>;
  sandboxConfig: SandboxConfig;
}

export async function prepare(deps: PrepareDeps, run: ObservedRun): Promise<Prepared> {
  const runtimeName = runtimeNameOf(run);
  const observedRuntime = deps.runtimes.get(runtimeName) ?? (await deps.pool.readRuntime(runtimeName));
  const validation = validateCodeRun(run.spec, observedRuntime);
  if (!validation.valid) return { kind: 'blocked', validity: { kind: 'invalid', reason: validation.reason, message: validation.message } };
  // A Runtime's own self-test runs before it is Ready; every other run waits for Ready.
  const readiness = isSelfTestRun(run) ? { ready: true as const } : runtimeReadiness(runtimeName, observedRuntime);
  if (!readiness.ready) return { kind: 'blocked', validity: { kind: 'waitingForRuntime', message: readiness.message } };
  const { spec, runtime } = validation;
  const judgeOf = async (kind: JudgeKind) => {
    const name = spec[kind]?.runtime;
    if (name === undefined) return undefined;
    return resolveJudge(kind, spec, runtime, deps.runtimes.get(name) ?? (await deps.pool.readRuntime(name)), validation.limits.run);
  };
  const checker = await judgeOf('checker');
  if (checker !== undefined && 'valid' in checker) return { kind: 'blocked', validity: { kind: 'invalid', reason: checker.reason, message: checker.message } };
  const interactor = await judgeOf('interactor');
  if (interactor !== undefined && 'valid' in interactor) return { kind: 'blocked', validity: { kind: 'invalid', reason: interactor.reason, message: interactor.message } };
  const limits = { ...validation.limits, ...(checker && { checker: checker.limits }), ...(interactor && { interactor: interactor.limits }) };
  const objects = await deps.references.read(run.metadata.namespace, listReferences(spec));
  const resolved = resolveInputs(spec, objects);
  if (resolved.kind === 'missing') return { kind: 'blocked', validity: { kind: 'waitingForReference', message: resolved.message } };
  if (resolved.kind === 'invalid') return { kind: 'blocked', validity: { kind: 'invalid', reason: 'InvalidSpec', message: resolved.message } };
  const job = encodeJobDocument(buildJobDocument(spec, runtime, limits, resolved.inputs, { checker, interactor }));
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
