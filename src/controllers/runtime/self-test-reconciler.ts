// The Runtime self-test controller: keeps one self-test CodeRun per Runtime, for the Runtime as it
// is now, and writes its outcome as the Runtime's Ready condition. The run goes through the same
// sandbox path as every submission (cold pod, runner, judging), so a broken image, toolchain or
// command is found before a student's run is blamed for it. Keys are Runtime names; self-test
// runs map back to their Runtime by their owner reference.
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConditionSchema, ObjectMetaSchema, type Condition } from '../../crds/common.js';
import { CodeRunStatusSchema } from '../../crds/coderun.js';
import { READY, SELF_TEST_LABEL } from '../../crds/runtime-ready.js';
import { RuntimeSpecSchema } from '../../crds/runtime.js';
import type { SelfTestApi } from '../../kube/self-test-api.js';
import type { Reconcile } from '../../machinery/controller.js';
import { NO_SELF_TEST, readyFromSelfTest, selfTestRunName, selfTestRunSpec, type ReadyCondition } from './self-test.js';

const RuntimeObjectSchema = z.looseObject({
  metadata: ObjectMetaSchema,
  spec: z.unknown(),
  status: z.looseObject({ conditions: z.array(ConditionSchema).optional() }).optional(),
});

const RunObjectSchema = z.looseObject({
  metadata: ObjectMetaSchema.extend({ ownerReferences: z.array(z.looseObject({ uid: z.string() })).optional() }),
  status: z.unknown().optional(),
});

export interface SelfTestReconcilerDeps {
  runtimes: { get(name: string): unknown };
  /** Every CodeRun the operator sees; the self-test runs are those in api.namespace owned by a Runtime. */
  runs: { list(): unknown[] };
  api: Pick<SelfTestApi, 'namespace' | 'createRun' | 'deleteRun' | 'patchRuntimeConditions'>;
  logger: Logger;
  now?: () => Date;
}

/** The conditions with `ready` in place of the old Ready condition; undefined when nothing changed. */
export function withReady(conditions: Condition[], ready: ReadyCondition, generation: number | undefined, now: Date): Condition[] | undefined {
  const old = conditions.find((c) => c.type === READY);
  if (old !== undefined && old.status === ready.status && old.reason === ready.reason && old.message === ready.message && old.observedGeneration === generation) {
    return undefined;
  }
  const lastTransitionTime = old !== undefined && old.status === ready.status ? old.lastTransitionTime : now.toISOString();
  const next: Condition = { ...ready, lastTransitionTime, ...(generation === undefined ? {} : { observedGeneration: generation }) };
  return [...conditions.filter((c) => c.type !== READY), next];
}

export function selfTestReconciler(deps: SelfTestReconcilerDeps): Reconcile {
  const now = deps.now ?? (() => new Date());
  return async (name) => {
    const parsed = RuntimeObjectSchema.safeParse(deps.runtimes.get(name));
    if (!parsed.success) return; // gone: the garbage collector deletes its runs
    const runtime = parsed.data;
    const uid = runtime.metadata.uid;
    if (uid === undefined) return;
    const log = deps.logger.child({ runtime: name });
    const owned = deps.runs
      .list()
      .map((r) => RunObjectSchema.safeParse(r))
      .flatMap((r) => (r.success ? [r.data] : []))
      .filter((r) => r.metadata.namespace === deps.api.namespace && (r.metadata.ownerReferences ?? []).some((o) => o.uid === uid));

    const spec = RuntimeSpecSchema.safeParse(runtime.spec);
    const runSpec = spec.success ? selfTestRunSpec(name, spec.data) : undefined;
    const runName = spec.success && runSpec !== undefined ? selfTestRunName(name, spec.data) : undefined;
    let ready: ReadyCondition;
    if (!spec.success) {
      ready = { type: READY, status: 'False', reason: 'SelfTestInvalid', message: `the Runtime's spec is invalid: ${z.prettifyError(spec.error)}` };
    } else if (runSpec === undefined || runName === undefined) {
      ready = NO_SELF_TEST;
    } else {
      const current = owned.find((r) => r.metadata.name === runName);
      if (current === undefined) {
        log.info({ run: `${deps.api.namespace}/${runName}` }, 'starting the self-test');
        await deps.api.createRun(runName, { [SELF_TEST_LABEL]: 'true' }, { name, uid }, runSpec);
      }
      const status = CodeRunStatusSchema.safeParse(current?.status ?? {});
      ready = readyFromSelfTest(`${deps.api.namespace}/${runName}`, status.success ? status.data : undefined);
    }
    for (const stale of owned.filter((r) => r.metadata.name !== runName)) await deps.api.deleteRun(stale.metadata.name);

    const conditions = withReady(runtime.status?.conditions ?? [], ready, runtime.metadata.generation, now());
    if (conditions === undefined) return;
    if (ready.status !== 'Unknown') log.info({ status: ready.status, reason: ready.reason }, 'Runtime Ready condition');
    await deps.api.patchRuntimeConditions(name, conditions);
  };
}
