// A run's checker (spec.checker): which Runtime and limits it runs with. It runs in the
// program's sandbox pod, so its Runtime must use the program's image: a pod has one image, and
// a second container for it would share neither the runner's isolation nor its process guard.
import type { CodeRunSpec } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import { limitsAboveMax, resolveLimits, type ResolvedLimits } from '../../sandbox/limits.js';
import { parseRuntime, type ValidationResult } from './validate.js';

export interface ResolvedChecker {
  runtime: RuntimeSpec;
  limits: NonNullable<ResolvedLimits['checker']>;
}

type Invalid = Extract<ValidationResult, { valid: false }>;

/**
 * The checker of a valid spec with its Runtime (unparsed, undefined when there is none), or
 * why it cannot run; undefined for a spec without a checker.
 */
export function resolveChecker(spec: CodeRunSpec, program: RuntimeSpec, runtime: unknown): ResolvedChecker | Invalid | undefined {
  const checker = spec.checker;
  if (checker === undefined) return undefined;
  const parsed = parseRuntime('spec.checker.runtime', checker.runtime, runtime);
  if (!parsed.success) return parsed.invalid;
  const own = parsed.data;
  if (own.image !== program.image) {
    return {
      valid: false,
      reason: 'InvalidSpec',
      message: `spec.checker.runtime: the Runtime ${checker.runtime} runs image ${own.image}, the program's Runtime ${spec.runtime} runs ${program.image}; the checker runs in the program's sandbox pod, so give it a Runtime with image ${program.image}`,
    };
  }
  const violations = limitsAboveMax(checker.limits, own.limits.max);
  if (violations.length > 0) {
    return {
      valid: false,
      reason: 'LimitsAboveMaximum',
      message: violations.map((v) => `spec.checker.limits.${v.name} ${v.requested} exceeds the Runtime ${checker.runtime} maximum ${v.max}; lower it to at most ${v.max}`).join('; '),
    };
  }
  const limits = resolveLimits(checker.limits, own);
  // A warm pod is sized for the program's Runtime: the checker must fit in it too.
  const memory = Math.max(limits.run.memoryMiB, limits.compile?.memoryMiB ?? 0);
  if (memory > program.limits.max.memoryMiB) {
    return {
      valid: false,
      reason: 'LimitsAboveMaximum',
      message: `spec.checker: the checker needs ${memory} MiB (its limits or its Runtime's compile step), over the ${program.limits.max.memoryMiB} MiB the program's Runtime ${spec.runtime} allows; lower spec.checker.limits.memoryMiB or use a checker Runtime that compiles in less`,
    };
  }
  const clash = (checker.files ?? []).findIndex((f) => f.path === own.sourceFile);
  if (clash >= 0) {
    return {
      valid: false,
      reason: 'InvalidSpec',
      message: `spec.checker.files[${clash}].path: "${own.sourceFile}" is where the Runtime ${checker.runtime} writes the checker's source; give the file another path`,
    };
  }
  return { runtime: own, limits: { run: limits.run, compile: limits.compile } };
}
