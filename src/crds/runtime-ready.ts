// A Runtime's Ready condition: written by the self-test controller, read before a run starts.
import { z } from 'zod';
import { ConditionSchema } from './common.js';

export const READY = 'Ready';

/** Marks a Runtime's self-test CodeRun: it neither waits for its Runtime to be Ready nor takes a pool pod. */
export const SELF_TEST_LABEL = 'coderun.dev/self-test';

export function isSelfTestRun(run: { metadata: { labels?: Record<string, string> | undefined } }): boolean {
  return run.metadata.labels?.[SELF_TEST_LABEL] !== undefined;
}

export type ReadyReason = 'SelfTestPassed' | 'NoSelfTest' | 'SelfTestRunning' | 'SelfTestFailed' | 'SelfTestInvalid' | 'ImageNotFound' | 'SandboxFailed';

const ObservedRuntimeSchema = z.looseObject({
  metadata: z.looseObject({ generation: z.number().int().optional() }),
  status: z.looseObject({ conditions: z.array(ConditionSchema).optional() }).optional(),
});

export type Readiness = { ready: true } | { ready: false; message: string };

/**
 * Whether runs may start on the Runtime: its Ready condition is True for its current generation.
 * A Runtime nobody has looked at yet (no condition) is not Ready: its self-test has yet to run.
 */
export function runtimeReadiness(name: string, runtime: unknown): Readiness {
  const parsed = ObservedRuntimeSchema.safeParse(runtime);
  if (!parsed.success) return { ready: false, message: `Runtime ${name} cannot be read` };
  const ready = parsed.data.status?.conditions?.find((c) => c.type === READY);
  if (ready === undefined) return { ready: false, message: `Runtime ${name} has no Ready condition yet (its self-test has not started)` };
  const generation = parsed.data.metadata.generation;
  if (generation !== undefined && ready.observedGeneration !== undefined && ready.observedGeneration < generation) {
    return { ready: false, message: `Runtime ${name} changed (generation ${generation}) and its self-test for that change has not finished` };
  }
  if (ready.status === 'True') return { ready: true };
  return { ready: false, message: `Runtime ${name} is not Ready (${ready.reason}): ${ready.message}` };
}
