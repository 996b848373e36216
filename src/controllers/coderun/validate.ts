import { CodeRunSpecSchema, type CodeRunSpec } from '../../crds/coderun.js';
import { formatIssues } from '../../crds/format-issues.js';
import { RuntimeSpecSchema, type RuntimeSpec } from '../../crds/runtime.js';
import { limitsAboveMax, resolveLimits, type ResolvedLimits } from '../../sandbox/limits.js';

/** Why a CodeRun cannot run; the reason of its Valid=False condition. */
export type InvalidReason = 'InvalidSpec' | 'RuntimeNotFound' | 'RuntimeInvalid' | 'LimitsAboveMaximum' | 'ReferenceNotFound';

export type ValidationResult =
  | { valid: true; spec: CodeRunSpec; runtime: RuntimeSpec; limits: ResolvedLimits }
  | { valid: false; reason: InvalidReason; message: string };

/** The Runtime named at `field` (unparsed, undefined when there is none), parsed. */
export function parseRuntime(
  field: string,
  name: string,
  runtime: unknown,
): { success: true; data: RuntimeSpec } | { success: false; invalid: Extract<ValidationResult, { valid: false }> } {
  if (runtime === undefined) {
    const message = `${field}: there is no Runtime named "${name}"; use one listed by \`kubectl get runtimes\` and submit a new CodeRun`;
    return { success: false, invalid: { valid: false, reason: 'RuntimeNotFound', message } };
  }
  const parsed = RuntimeSpecSchema.safeParse(typeof runtime === 'object' && runtime !== null && 'spec' in runtime ? runtime.spec : undefined);
  if (parsed.success) return { success: true, data: parsed.data };
  const message = `the Runtime ${name} is invalid (${formatIssues('spec', parsed.error)}); an administrator must fix it, then submit a new CodeRun`;
  return { success: false, invalid: { valid: false, reason: 'RuntimeInvalid', message } };
}

/**
 * Decides whether a CodeRun can run: its spec parses, its Runtime exists and is valid, and no
 * limit exceeds the Runtime's max. `runtime` is the Runtime object from the cache (unparsed), or
 * undefined when there is none. The message says what to change.
 */
export function validateCodeRun(spec: unknown, runtime: unknown): ValidationResult {
  const parsedSpec = CodeRunSpecSchema.safeParse(spec);
  if (!parsedSpec.success) {
    return { valid: false, reason: 'InvalidSpec', message: formatIssues('spec', parsedSpec.error) };
  }
  const run = parsedSpec.data;
  const parsedRuntime = parseRuntime('spec.runtime', run.runtime, runtime);
  if (!parsedRuntime.success) return parsedRuntime.invalid;
  const violations = limitsAboveMax(run.limits, parsedRuntime.data.limits.max);
  if (violations.length > 0) {
    return {
      valid: false,
      reason: 'LimitsAboveMaximum',
      message: violations
        .map((v) => `spec.limits.${v.name} ${v.requested} exceeds the Runtime ${run.runtime} maximum ${v.max}; lower it to at most ${v.max}`)
        .join('; '),
    };
  }
  const sourceFile = parsedRuntime.data.sourceFile;
  const clash = (run.files ?? []).findIndex((f) => f.path === sourceFile);
  if (clash >= 0) {
    return {
      valid: false,
      reason: 'InvalidSpec',
      message: `spec.files[${clash}].path: "${sourceFile}" is where the Runtime ${run.runtime} writes the source; give the file another path`,
    };
  }
  return { valid: true, spec: run, runtime: parsedRuntime.data, limits: resolveLimits(run.limits, parsedRuntime.data) };
}
