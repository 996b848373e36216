import { z } from 'zod';

/** A JSON Schema node as zod emits it and the API server reads it. */
export type JsonSchema = { [key: string]: unknown };

// Keys the API server refuses in a structural schema or that mean nothing to it.
const DROPPED_KEYS = new Set(['$schema', 'title', 'id', '$id']);
const COMBINATORS = ['anyOf', 'oneOf', 'allOf', 'not'];

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clean(node: JsonSchema, path: string): JsonSchema {
  for (const key of COMBINATORS) {
    if (key in node) {
      throw new Error(`${path}: "${key}" makes the CRD schema non-structural; use optional fields and a refine + x-kubernetes-validations rule instead of a union`);
    }
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key)) continue;
    // zod spells "no bound" as the safe-integer range; int64 fields need no such bound.
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    if (key === 'additionalProperties') {
      // The API server forbids additionalProperties beside properties, and false is its default.
      if (value === false || 'properties' in node) continue;
      out[key] = isObject(value) ? clean(value, `${path}.additionalProperties`) : value;
      continue;
    }
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isObject(sub) ? clean(sub, `${path}.${name}`) : sub]));
      continue;
    }
    if (key === 'items' && isObject(value)) {
      out[key] = clean(value, `${path}[]`);
      continue;
    }
    out[key] = value;
  }
  if (out.type === undefined && !out['x-kubernetes-preserve-unknown-fields'] && !out['x-kubernetes-int-or-string']) {
    throw new Error(`${path}: every node of a structural schema needs a type`);
  }
  return out;
}

/**
 * The structural OpenAPI v3 schema the API server accepts for a zod schema: the input shape
 * (defaults optional), unions rejected, empty bounds and additionalProperties beside properties
 * removed. Throws with the offending path when the zod schema cannot be made structural.
 */
export function toStructuralSchema(schema: z.ZodType, rootPath = ''): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  return clean(json, rootPath || '<root>');
}
