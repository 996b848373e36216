// The operator's configuration: environment variables, parsed once at start by zod so that a
// wrong value stops the operator with a message naming the variable and what it accepts.
import { hostname } from 'node:os';
import { z } from 'zod';
import type { AdmissionWebhookConfig } from './webhook/admission-webhook.js';

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

const env = z.object({
  CODERUN_SANDBOX_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('coderun-sandbox'),
  CODERUN_RUNNER_IMAGE: z.string().min(1).default('coderun.local/runner:dev'),
  CODERUN_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  CODERUN_WORKERS: int(1, 256, 16),
  CODERUN_STATUS_OUTPUT_BYTES: int(0, 262_144, 4096),
  CODERUN_REFERENCE_GRACE_SECONDS: int(0, 3600, 10),
  CODERUN_POD_START_TIMEOUT_SECONDS: int(5, 3600, 300),
  CODERUN_RUNTIME_READY_WAIT_SECONDS: int(0, 3600, 120),
  CODERUN_MAX_ATTEMPTS: int(1, 10, 3),
  CODERUN_RESULT_BUDGET_MIB: int(16, 65_536, 512),
  CODERUN_WARM_WAIT_MS: int(0, 600_000, 0),
  CODERUN_POOL_MAX_STARTING: int(0, 10_000, 4),
  CODERUN_HOST_USERS: bool(true),
  CODERUN_METRICS_PORT: int(0, 65_535, 8080),
  CODERUN_METRICS_NAMESPACE_LIMIT: int(0, 10_000, 100),
  CODERUN_PROFILING: bool(false),
  CODERUN_LEADER_ELECTION: bool(true),
  CODERUN_LEADER_ELECTION_NAMESPACE: z.string().min(1).default('coderun-system'),
  CODERUN_MANAGE_NAMESPACES: bool(true),
  CODERUN_IDENTITY: z.string().min(1).default(`${hostname()}-${process.pid}`),
  CODERUN_WEBHOOK_PORT: int(0, 65_535, 0),
  CODERUN_WEBHOOK_SERVICE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'namespace/name of the webhook Service')
    .default('coderun-system/coderun-webhook'),
  CODERUN_WEBHOOK_SECRET: z.string().min(1).default('coderun-webhook-tls'),
  CODERUN_WEBHOOK_CONFIGURATION: z.string().min(1).default('coderun-webhook'),
  CODERUN_WEBHOOK_MANAGE_CERTIFICATES: bool(true),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

export interface OperatorConfig {
  sandboxNamespace: string;
  runnerImage: string;
  /** For the runner and runtime images; `Never` on clusters whose images are imported locally. */
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  workers: number;
  /** Bytes of each stdout/stderr/compile output kept in status; comparison uses the whole output. */
  statusOutputBytes: number;
  referenceGraceMs: number;
  podStartTimeoutMs: number;
  /** How long a run waits for its Runtime's Ready condition (its self-test) before it is a SystemError. */
  runtimeReadyWaitMs: number;
  maxAttempts: number;
  /**
   * MiB of results the runners in flight may send back at once (each run counts the most its
   * result can be): the operator's memory beyond its base is a few times this.
   */
  resultBudgetMiB: number;
  /**
   * How long a run whose Runtime has a warm pool may wait for an idle pool pod before it takes
   * the cold path. 0 (the default): cold at once; see the README for why.
   */
  warmWaitMs: number;
  /**
   * Warm pool pods of all pools that start at once at most (0: no bound): a refill after a burst
   * starts this many at a time, so pod starts do not take the CPU the burst's runs need.
   */
  poolMaxStarting: number;
  /**
   * false gives sandbox pods their own user namespace (hostUsers: false). Off by default because
   * it needs a cluster whose kubelet, runtime and kernel support user namespaces.
   */
  userNamespaces: boolean;
  metricsPort: number;
  /** Namespaces (courses) that get a `namespace` label of their own on per-course metrics; the rest are "_other". */
  metricsNamespaceLimit: number;
  /** Serves GET /debug/cpu-profile on the metrics port (off by default: it is for diagnosis). */
  profiling: boolean;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  /**
   * true: the operator creates the sandbox namespace (with its Pod Security labels and
   * default-deny policy) and the Lease's namespace. false: an installer made them (the Helm
   * chart), and the operator needs no rights on namespaces.
   */
  manageNamespaces: boolean;
  identity: string;
  /**
   * The admission webhook, served by every replica; undefined (CODERUN_WEBHOOK_PORT=0, the
   * default outside the chart) when the operator runs without one.
   */
  webhook: AdmissionWebhookConfig | undefined;
  logLevel: string;
}

export function loadConfig(source: NodeJS.ProcessEnv): OperatorConfig {
  const parsed = env.safeParse(source);
  if (!parsed.success) {
    throw new Error(`invalid operator configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    sandboxNamespace: e.CODERUN_SANDBOX_NAMESPACE,
    runnerImage: e.CODERUN_RUNNER_IMAGE,
    imagePullPolicy: e.CODERUN_IMAGE_PULL_POLICY,
    workers: e.CODERUN_WORKERS,
    statusOutputBytes: e.CODERUN_STATUS_OUTPUT_BYTES,
    referenceGraceMs: e.CODERUN_REFERENCE_GRACE_SECONDS * 1000,
    podStartTimeoutMs: e.CODERUN_POD_START_TIMEOUT_SECONDS * 1000,
    runtimeReadyWaitMs: e.CODERUN_RUNTIME_READY_WAIT_SECONDS * 1000,
    maxAttempts: e.CODERUN_MAX_ATTEMPTS,
    resultBudgetMiB: e.CODERUN_RESULT_BUDGET_MIB,
    warmWaitMs: e.CODERUN_WARM_WAIT_MS,
    poolMaxStarting: e.CODERUN_POOL_MAX_STARTING,
    userNamespaces: !e.CODERUN_HOST_USERS,
    metricsPort: e.CODERUN_METRICS_PORT,
    metricsNamespaceLimit: e.CODERUN_METRICS_NAMESPACE_LIMIT,
    profiling: e.CODERUN_PROFILING,
    leaderElection: e.CODERUN_LEADER_ELECTION,
    leaderElectionNamespace: e.CODERUN_LEADER_ELECTION_NAMESPACE,
    manageNamespaces: e.CODERUN_MANAGE_NAMESPACES,
    identity: e.CODERUN_IDENTITY,
    webhook: e.CODERUN_WEBHOOK_PORT === 0 ? undefined : webhookConfig(e),
    logLevel: e.LOG_LEVEL,
  };
}

function webhookConfig(e: z.infer<typeof env>): AdmissionWebhookConfig {
  const [serviceNamespace = '', serviceName = ''] = e.CODERUN_WEBHOOK_SERVICE.split('/');
  return {
    port: e.CODERUN_WEBHOOK_PORT,
    serviceNamespace,
    serviceName,
    secretName: e.CODERUN_WEBHOOK_SECRET,
    configurationName: e.CODERUN_WEBHOOK_CONFIGURATION,
    manageCertificates: e.CODERUN_WEBHOOK_MANAGE_CERTIFICATES,
  };
}
