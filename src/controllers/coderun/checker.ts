// A run's checker or interactor (spec.checker, spec.interactor): which Runtime and limits it
// runs with. It runs in the program's sandbox pod, so its Runtime must use the program's image:
// a pod has one image, and a second container for it would share neither the runner's isolation
// nor its process guard.
import type { CodeRunSpec } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import type { FullLimits } from '../../crds/limits.js';
import { limitsAboveMax, resolveLimits, type ResolvedLimits } from '../../sandbox/limits.js';
import { parseRuntime, type ValidationResult } from './validate.js';

export interface ResolvedJudge {
  runtime: RuntimeSpec;
  limits: NonNullable<ResolvedLimits['checker']>;
}

/** Which of the problem setter's programs: the checker runs after each test, the interactor beside the program. */
export type JudgeKind = 'checker' | 'interactor';

/** How much longer than the program's wall time an interactor may wait at least. */
export const INTERACTOR_WALL_MARGIN_MILLIS = 1000;

type Invalid = Extract<ValidationResult, { valid: false }>;

/**
 * The checker or interactor (kind) of a valid spec with its Runtime (unparsed, undefined when
 * there is none), or why it cannot run; undefined for a spec without one.
 */
export function resolveJudge(
  kind: JudgeKind,
  spec: CodeRunSpec,
  program: RuntimeSpec,
  runtime: unknown,
  programRun?: FullLimits,
): ResolvedJudge | Invalid | undefined {
  const checker = spec[kind];
  if (checker === undefined) return undefined;
  const parsed = parseRuntime(`spec.${kind}.runtime`, checker.runtime, runtime);
  if (!parsed.success) return parsed.invalid;
  const own = parsed.data;
  if (own.image !== program.image) {
    return {
      valid: false,
      reason: 'InvalidSpec',
      message: `spec.${kind}.runtime: the Runtime ${checker.runtime} runs image ${own.image}, the program's Runtime ${spec.runtime} runs ${program.image}; the ${kind} runs in the program's sandbox pod, so give it a Runtime with image ${program.image}`,
    };
  }
  const violations = limitsAboveMax(checker.limits, own.limits.max);
  if (violations.length > 0) {
    return {
      valid: false,
      reason: 'LimitsAboveMaximum',
      message: violations.map((v) => `spec.${kind}.limits.${v.name} ${v.requested} exceeds the Runtime ${checker.runtime} maximum ${v.max}; lower it to at most ${v.max}`).join('; '),
    };
  }
  const limits = resolveLimits(checker.limits, own);
  // A warm pod is sized for the program's Runtime: the checker must fit in it too, and the
  // interactor beside the program's largest test.
  const memory = Math.max(limits.run.memoryMiB, limits.compile?.memoryMiB ?? 0);
  if (memory > program.limits.max.memoryMiB) {
    return {
      valid: false,
      reason: 'LimitsAboveMaximum',
      message: `spec.${kind}: the ${kind} needs ${memory} MiB (its limits or its Runtime's compile step), over the ${program.limits.max.memoryMiB} MiB the program's Runtime ${spec.runtime} allows; lower spec.${kind}.limits.memoryMiB or use a ${kind} Runtime that compiles in less`,
    };
  }
  if (kind === 'interactor' && programRun !== undefined) {
    if (programRun.memoryMiB + limits.run.memoryMiB > program.limits.max.memoryMiB) {
      return {
        valid: false,
        reason: 'LimitsAboveMaximum',
        message: `spec.interactor: the interactor (${limits.run.memoryMiB} MiB) runs beside the program (${programRun.memoryMiB} MiB), together over the ${program.limits.max.memoryMiB} MiB the program's Runtime ${spec.runtime} allows; lower spec.interactor.limits.memoryMiB or spec.limits.memoryMiB`,
      };
    }
    // The interactor waits for the program: it must not time out first, or a program that
    // never answers would be the problem setter's fault.
    limits.run = { ...limits.run, wallTimeMillis: Math.max(limits.run.wallTimeMillis, programRun.wallTimeMillis + INTERACTOR_WALL_MARGIN_MILLIS) };
  }
  const clash = (checker.files ?? []).findIndex((f) => f.path === own.sourceFile);
  if (clash >= 0) {
    return {
      valid: false,
      reason: 'InvalidSpec',
      message: `spec.${kind}.files[${clash}].path: "${own.sourceFile}" is where the Runtime ${checker.runtime} writes the ${kind}'s source; give the file another path`,
    };
  }
  return { runtime: own, limits: { run: limits.run, compile: limits.compile } };
}
