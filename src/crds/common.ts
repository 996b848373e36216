import { z } from 'zod';

export const GROUP = 'coderun.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A Kubernetes object name (DNS-1123 subdomain), as ConfigMaps, Secrets and Runtimes use. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A ConfigMap or Secret data key. */
export const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
/**
 * A relative path inside the work directory: segments of safe characters, none of them `.` or
 * `..`, no leading slash. Written without look-arounds so the API server's RE2 accepts it too.
 */
export const RELATIVE_PATH =
  /^([A-Za-z0-9_-][A-Za-z0-9._-]*|\.[A-Za-z0-9_-][A-Za-z0-9._-]*|\.\.[A-Za-z0-9._-]+)(\/([A-Za-z0-9_-][A-Za-z0-9._-]*|\.[A-Za-z0-9_-][A-Za-z0-9._-]*|\.\.[A-Za-z0-9._-]+))*$/;

/**
 * A string that must match a pattern, with a message that says what to write. Checked by zod and
 * by a CEL rule rather than an OpenAPI `pattern`, whose API server error only quotes the regex.
 */
export function matching(schema: z.ZodString, pattern: RegExp, message: string) {
  return schema
    .refine((value) => pattern.test(value), { message })
    .meta({ 'x-kubernetes-validations': [{ rule: `self.matches(r'${pattern.source}')`, message }] });
}

export const objectName = (what: string) =>
  matching(z.string().min(1).max(253), DNS_SUBDOMAIN, `${what} must be a lower-case DNS name such as "my-name"`);

/** `{name, key}` of a ConfigMap or Secret in the CodeRun's own namespace. */
export const KeyRefSchema = z.object({
  name: objectName('the referenced object name'),
  key: matching(z.string().min(1).max(253), DATA_KEY, 'a data key may hold only letters, digits, "-", "_" and "."'),
});
export type KeyRef = z.infer<typeof KeyRefSchema>;

/** metav1.Condition, as every Kubernetes API writes it. */
export const ConditionSchema = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().min(1).max(1024),
  message: z.string().max(32768),
  lastTransitionTime: z.string().meta({ format: 'date-time' }),
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const ConditionsSchema = z
  .array(ConditionSchema)
  .max(16)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

/** The parts of ObjectMeta the controller reads; the API server validates the rest. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
