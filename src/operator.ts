// The operator: a manager (machinery/manager.ts: the Lease, the HTTP server, the shared caches)
// and the parts it runs. Only the leader reconciles; every replica serves /metrics and /healthz,
// and /readyz once its caches (when leading) are synced. Each controller's setup declares what it
// watches and owns; this file only lists them.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.js';
import { PLATFORM_FAILURE_CAUSES } from './controllers/coderun/plan.js';
import { setupCodeRunController } from './controllers/coderun/setup.js';
import { DEFAULT_STATUS_CONFIG } from './controllers/coderun/status.js';
import { setupPoolControllers } from './controllers/pool/setup.js';
import { setupRuntimeSelfTestController } from './controllers/runtime/setup.js';
import { PodExec } from './kube/pod-exec.js';
import { ensureSandboxNamespace } from './kube/sandbox-setup.js';
import { Manager } from './machinery/manager.js';
import { observeRequests } from './kube/request-metrics.js';
import { createOperatorMetrics } from './observability/operator-metrics.js';
import { defaultDenyPolicy, sandboxNamespace } from './sandbox/namespace.js';
import { DEFAULT_SANDBOX_CONFIG, type SandboxConfig } from './sandbox/pod.js';
import { createAdmissionWebhook } from './webhook/admission-webhook.js';

export function sandboxConfigOf(config: OperatorConfig): SandboxConfig {
  return {
    ...DEFAULT_SANDBOX_CONFIG,
    namespace: config.sandboxNamespace,
    runnerImage: config.runnerImage,
    userNamespaces: config.userNamespaces,
    imagePullPolicy: config.imagePullPolicy,
  };
}

export function createOperator(config: OperatorConfig, kubeConfig: KubeConfig, logger: Logger): Manager {
  const { registry, machinery, domain: metrics, restClient, webhook: webhookMetrics } = createOperatorMetrics({
    namespaceLabelLimit: config.metricsNamespaceLimit,
    failureCauses: PLATFORM_FAILURE_CAUSES,
  });
  observeRequests(kubeConfig, restClient);
  const sandboxConfig = sandboxConfigOf(config);
  const mgr = new Manager({
    kubeConfig,
    logger,
    registry,
    metrics: machinery,
    port: config.metricsPort,
    profiling: config.profiling,
    leaderElection: config.leaderElection ? { namespace: config.leaderElectionNamespace, name: 'coderun-operator', identity: config.identity } : undefined,
  });

  if (config.webhook) {
    // Every replica serves the webhook, leading or not: admission must not wait for an election,
    // nor the election for the webhook's first certificate (/readyz says what it waits for).
    const webhook = createAdmissionWebhook(config.webhook, kubeConfig, webhookMetrics, logger);
    let starting: Promise<void> = Promise.resolve();
    mgr.add(
      {
        name: 'admission-webhook',
        start: async () => {
          starting = webhook.start().catch((err: unknown) => {
            logger.fatal({ err }, 'could not start the admission webhook');
            void mgr.stop();
          });
        },
        stop: async () => {
          await starting;
          await webhook.stop();
        },
        readiness: () => webhook.readiness(),
      },
      { leaderElection: false },
    );
  }
  if (config.manageNamespaces) {
    const namespace = sandboxNamespace(config.sandboxNamespace);
    const ensure = () => ensureSandboxNamespace(kubeConfig, namespace, defaultDenyPolicy(config.sandboxNamespace));
    mgr.add({ name: 'sandbox-namespace', start: ensure, stop: async () => {} }, { leaderElection: true });
  }
  const exec = new PodExec(kubeConfig);
  const warm = setupPoolControllers(mgr, { sandboxConfig, exec, metrics, warmWaitMs: config.warmWaitMs, maxStarting: config.poolMaxStarting });
  setupCodeRunController(mgr, {
    workers: config.workers,
    sandboxConfig,
    statusConfig: { ...DEFAULT_STATUS_CONFIG, outputBytes: config.statusOutputBytes },
    plan: { referenceGraceMs: config.referenceGraceMs, podStartTimeoutMs: config.podStartTimeoutMs, runtimeReadyWaitMs: config.runtimeReadyWaitMs, maxAttempts: config.maxAttempts },
    exec,
    resultBudgetBytes: config.resultBudgetMiB * 1024 * 1024,
    warm,
    metrics,
  });
  // Self-test runs live in the operator's own namespace (the Lease's).
  setupRuntimeSelfTestController(mgr, { namespace: config.leaderElectionNamespace });
  return mgr;
}
