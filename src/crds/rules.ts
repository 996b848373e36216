// A validation rule stated once: zod checks it where a spec is parsed (the client, the operator),
// and its CEL twin goes into the CRD, so the API server refuses the same objects with the same
// message (deploy/crds/ is generated from the same schemas).
import type { z } from 'zod';

export interface Rule<T> {
  /** CEL over `self`, checked by the API server. */
  cel: string;
  /** The same condition over the parsed value. */
  holds: (value: T) => boolean;
  message: string;
  /** Where zod reports a violation, below the object (default: the object itself). */
  path?: PropertyKey[];
  /** zod's message when the value lets it say more than the CEL message can (the numbers). */
  explain?: (value: T) => string;
}

/** A CEL rule with no zod twin (e.g. `self == oldSelf`: zod never sees the old object). */
export interface CelOnlyRule {
  rule: string;
  message: string;
}

/** `schema` checked by `rules` in zod and, as x-kubernetes-validations, by the API server. */
export function withRules<S extends z.ZodType>(schema: S, rules: ReadonlyArray<Rule<z.output<S>>>, celOnly: readonly CelOnlyRule[] = []): S {
  return schema
    .superRefine((value, ctx) => {
      for (const rule of rules) {
        if (!rule.holds(value)) ctx.addIssue({ code: 'custom', path: rule.path ?? [], message: rule.explain?.(value) ?? rule.message, input: value });
      }
    })
    .meta({ 'x-kubernetes-validations': [...celOnly, ...rules.map((rule) => ({ rule: rule.cel, message: rule.message }))] });
}
