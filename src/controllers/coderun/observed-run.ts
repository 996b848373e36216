// How the controller sees a CodeRun from its cache. Deliberately lenient: an object whose spec is
// invalid must still reach the reconciler (to be told so in its status), so the spec stays
// unknown here and is parsed by validateCodeRun; the status keeps only what the plan reads.
import { z } from 'zod';
import { ObjectMetaSchema } from '../../crds/common.js';
import { PHASES, RUN_PATHS } from '../../crds/coderun.js';
import type { RunView } from './plan.js';
import type { RunRef } from '../../sandbox/names.js';

export const FINALIZER = 'coderun.dev/sandbox-cleanup';

const ObservedStatusSchema = z.looseObject({
  phase: z.enum(PHASES).optional(),
  podName: z.string().optional(),
  attempts: z.number().int().min(0).optional(),
  path: z.enum(RUN_PATHS).optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

export const ObservedRunSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: ObjectMetaSchema.extend({ namespace: z.string(), uid: z.string(), resourceVersion: z.string() }),
  spec: z.unknown(),
  status: ObservedStatusSchema.optional(),
});
export type ObservedRun = z.infer<typeof ObservedRunSchema>;

const TtlSchema = z.looseObject({ ttlSecondsAfterFinished: z.number().int().min(0).optional() });

const date = (value: string | Date | undefined): Date | undefined => (value === undefined ? undefined : new Date(value));

export function runRef(run: ObservedRun): RunRef {
  return { namespace: run.metadata.namespace, name: run.metadata.name, uid: run.metadata.uid };
}

export function runView(run: ObservedRun): RunView {
  const status = run.status ?? {};
  const ttl = TtlSchema.safeParse(run.spec);
  return {
    deleting: run.metadata.deletionTimestamp !== undefined,
    hasFinalizer: (run.metadata.finalizers ?? []).includes(FINALIZER),
    phase: status.phase,
    podName: status.podName,
    attempts: status.attempts ?? 0,
    createdAt: date(run.metadata.creationTimestamp) ?? new Date(0),
    startedAt: date(status.startedAt),
    finishedAt: date(status.finishedAt),
    ttlSecondsAfterFinished: ttl.success ? ttl.data.ttlSecondsAfterFinished : undefined,
  };
}

/** The runtime a run names, read leniently (for metrics labels and the Runtime lookup). */
export function runtimeNameOf(run: ObservedRun): string {
  const parsed = z.looseObject({ runtime: z.string() }).safeParse(run.spec);
  return parsed.success ? parsed.data.runtime : 'unknown';
}
