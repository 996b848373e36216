import { z } from 'zod';
import { API_VERSION, ConditionsSchema, ObjectMetaSchema, RELATIVE_PATH, matching } from './common.js';
import { FullLimitsSchema, LIMIT_NAMES, type FullLimits } from './limits.js';
import { withRules } from './rules.js';

// A relative path whose segments may hold the wildcards * ? [ ] (Go's filepath.Match), none of
// them "." or "..": RELATIVE_PATH with the wildcards added (RE2, as CEL needs: no lookahead).
const SEGMENT = '([A-Za-z0-9_*?\\[\\]-][A-Za-z0-9._*?\\[\\]-]*|\\.[A-Za-z0-9_*?\\[\\]-][A-Za-z0-9._*?\\[\\]-]*|\\.\\.[A-Za-z0-9._*?\\[\\]-]+)';
const OUTPUT_PATTERN = new RegExp(`^${SEGMENT}(\\/${SEGMENT})*$`);

const commandSchema = (what: string) =>
  z.array(z.string().min(1).max(4096)).min(1).max(64).describe(`${what}: argv, run in the work directory.`);

const quantityMap = z
  .record(z.string(), z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/, { message: 'a quantity such as "500m", "1" or "512Mi"' }))
  .describe('Resource name to quantity, as in a container.');

/** Default and maximum limits; every default must be within its maximum. */
export const RuntimeLimitsSchema = withRules(
  z.object({
    default: FullLimitsSchema.describe('Limits of a CodeRun that sets none.'),
    max: FullLimitsSchema.describe('The most a CodeRun may ask for.'),
  }),
  LIMIT_NAMES.map((name) => ({
    cel: `self.default.${name} <= self.max.${name}`,
    holds: (limits: { default: FullLimits; max: FullLimits }) => limits.default[name] <= limits.max[name],
    message: `limits.default.${name} must not exceed limits.max.${name}`,
    explain: (limits: { default: FullLimits; max: FullLimits }) =>
      `default ${limits.default[name]} exceeds max ${limits.max[name]}; lower the default or raise the max`,
    path: ['default', name],
  })),
);

/** The most runs one pool pod may serve (warmPool.runsPerPod). */
export const MAX_RUNS_PER_POD = 1000;

export const WarmPoolSchema = z.object({
  replicas: z.number().int().min(0).max(1000).describe('Idle pool pods to keep ready.'),
  runsPerPod: z
    .number()
    .int()
    .min(1, 'must be at least 1 (1: every pool pod serves one run and is then replaced)')
    .max(MAX_RUNS_PER_POD, `must be at most ${MAX_RUNS_PER_POD}`)
    .optional()
    .describe(
      'Runs one pool pod may serve one after another (default 1: a new pod for every run). Above 1 a pod whose run ended cleanly goes back to the pool after the runner has removed and verified everything the run left (processes, files, IPC); the runs then share a kernel-level history (see the README).',
    ),
  resources: z
    .object({ requests: quantityMap.optional(), limits: quantityMap.optional() })
    .optional()
    .describe("Pool pod resources; by default sized for the Runtime's max limits."),
});
export type WarmPool = z.infer<typeof WarmPoolSchema>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by the runner to the work directory: a Runtime cannot move them. */
export const RESERVED_ENV_NAMES = ['HOME', 'TMPDIR'] as const;

const RESERVED_ENV_MESSAGE = `${RESERVED_ENV_NAMES.join(' and ')} are set by the runner to the work directory; remove them from env`;

export const EnvVarSchema = withRules(
  z.object({
    name: matching(z.string().min(1).max(128), ENV_NAME, 'an environment variable name holds letters, digits and "_", and does not start with a digit'),
    value: z.string().max(4096),
  }),
  [
    {
      cel: RESERVED_ENV_NAMES.map((n) => `self.name != '${n}'`).join(' && '),
      holds: (e) => !(RESERVED_ENV_NAMES as readonly string[]).includes(e.name),
      message: RESERVED_ENV_MESSAGE,
      path: ['name'],
    },
  ],
);

/** Unique names, checked by the API server as a list map. */
const envSchema = z
  .array(EnvVarSchema)
  .max(64)
  .superRefine((env, ctx) => {
    const seen = new Set<string>();
    env.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `env names ${e.name} twice; keep one` });
      seen.add(e.name);
    });
  })
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
  .describe(
    'Environment of the compile step and the program, on top of the fixed set the runner gives (PATH, HOME and TMPDIR at the work directory, LANG=C.UTF-8); an entry overrides PATH or LANG. Nothing of the pod\'s own environment reaches the program.',
  );

/** A small program the operator runs whenever the Runtime's image or commands change. */
export const SelfTestSchema = z
  .object({
    source: z.string().min(1).max(65_536).describe("The program, written to the Runtime's sourceFile."),
    stdin: z.string().max(65_536).optional().describe('Its standard input.'),
    expectedStdout: z.string().max(65_536).describe('What it must print, byte for byte.'),
  })
  .describe(
    "Run as a CodeRun under the Runtime's max limits when the Runtime is created or its image, commands or env change; its result is the Runtime's Ready condition, and runs wait for Ready.",
  );
export type SelfTest = z.infer<typeof SelfTestSchema>;

export const RuntimeSpecSchema = z.object({
  image: z.string().min(1).max(1024).describe('Container image with the toolchain, e.g. python:3.12-slim.'),
  sourceFile: matching(z.string().min(1).max(255), RELATIVE_PATH, 'sourceFile must be a relative path such as "main.py"').describe(
    'File the CodeRun source is written to, e.g. main.cpp.',
  ),
  compile: z
    .object({
      command: commandSchema('Compile command'),
      outputs: z
        .array(matching(z.string().min(1).max(255), OUTPUT_PATTERN, 'an output is a relative path pattern such as "main", "*.class" or "classes", without "." or ".." components'))
        .min(1)
        .max(64)
        .optional()
        .describe(
          'What the runs need of the work directory after a successful compile (patterns of Go filepath.Match; a matching directory is kept whole); everything else (sources, object files, caches) is removed before the tests. Default: everything stays.',
        ),
      limits: FullLimitsSchema.optional().describe("Limits of the compile step; the Runtime's max limits when omitted."),
    })
    .optional(),
  run: z.object({ command: commandSchema('Run command; the CodeRun args are appended') }),
  limits: RuntimeLimitsSchema,
  env: envSchema.optional(),
  runtimeClassName: z.string().min(1).max(253).optional().describe('RuntimeClass of sandbox pods, e.g. gvisor.'),
  warmPool: WarmPoolSchema.optional(),
  selfTest: SelfTestSchema.optional(),
});
export type RuntimeSpec = z.infer<typeof RuntimeSpecSchema>;

export const RuntimeStatusSchema = z.object({
  pool: z
    .object({
      desired: z.number().int().min(0),
      ready: z.number().int().min(0),
      idle: z.number().int().min(0),
    })
    .optional()
    .describe('Warm pool pods: wanted, ready, and ready and unclaimed.'),
  conditions: ConditionsSchema.optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type RuntimeStatus = z.infer<typeof RuntimeStatusSchema>;

export const RuntimeSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Runtime'),
  metadata: ObjectMetaSchema,
  spec: RuntimeSpecSchema,
  status: RuntimeStatusSchema.optional(),
});
export type Runtime = z.infer<typeof RuntimeSchema>;
