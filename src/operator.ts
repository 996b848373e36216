// Wires the operator together: caches, the CodeRun, pool, Runtime self-test and warm-session controllers, the orphan and stale
// claim sweeps, leader election and the observability server. Only the leader reconciles; every replica serves /metrics and
// /healthz, and /readyz once its caches (when leading) are synced.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { OperatorConfig } from './config.js';
import { GROUP, VERSION } from './crds/common.js';
import { FINALIZER, ObservedRunSchema, type ObservedRun } from './controllers/coderun/observed-run.js';
import { orphanedRunUids, ownerRunKey } from './controllers/coderun/orphans.js';
import { isTerminal } from './controllers/coderun/plan.js';
import { codeRunReconciler, newExecutions } from './controllers/coderun/reconciler.js';
import { LABELS, MANAGED_BY, runSelector } from './controllers/coderun/sandbox-names.js';
import { DEFAULT_SANDBOX_CONFIG, type SandboxConfig } from './controllers/coderun/sandbox-pod.js';
import { DEFAULT_STATUS_CONFIG } from './controllers/coderun/status.js';
import { Controller } from './controllers/machinery/controller.js';
import { enqueueObject, enqueueOwner } from './controllers/machinery/event-handlers.js';
import { controllerOwnerKey, labelOwnerKey, objectKey } from './controllers/machinery/object-key.js';
import { staleClaims, type ClaimOwner } from './controllers/pool/claim-choice.js';
import { CLAIMED_POOL_PODS_SELECTOR, POOL_COMPONENT } from './controllers/pool/pool-labels.js';
import { poolReconciler } from './controllers/pool/pool-reconciler.js';
import { selfTestReconciler } from './controllers/runtime/self-test-reconciler.js';
import { sessionReconciler } from './controllers/pool/session-reconciler.js';
import { WarmSessions } from './controllers/pool/warm-sessions.js';
import { Informer } from './controllers/machinery/informer.js';
import { collectionPath } from './controllers/machinery/kube-list.js';
import { LeaderElector } from './controllers/machinery/leader-election.js';
import { ObjectMetaSchema } from './crds/common.js';
import { CodeRunApi } from './kube/coderun-api.js';
import { EventRecorder } from './kube/events.js';
import { PodExec } from './kube/pod-exec.js';
import { PoolApi } from './kube/pool-api.js';
import { ReferenceReader } from './kube/reference-reader.js';
import { SandboxApi } from './kube/sandbox-api.js';
import { SelfTestApi } from './kube/self-test-api.js';
import { ensureSandboxNamespace } from './kube/sandbox-setup.js';
import { createDomainMetrics } from './observability/domain-metrics.js';
import { createObservabilityServer, type ObservabilityServer } from './observability/http-server.js';
import { createMachineryMetrics } from './observability/machinery-metrics.js';
import { createRegistry } from './observability/registry.js';

const ORPHAN_SWEEP_INTERVAL_MS = 5 * 60_000;

// Objects the controller only reads metadata and status of: checked loosely, typed by the client.
const PodShape = z.looseObject({ metadata: ObjectMetaSchema });
const PodSchema = z.custom<V1Pod>((value) => PodShape.safeParse(value).success, 'not a Pod');
const RuntimeObjectSchema = z.looseObject({ metadata: ObjectMetaSchema, spec: z.unknown(), status: z.unknown().optional() });
/** Workers of the pool controller: its reconciles are short and touch one Runtime each. */
const POOL_WORKERS = 2;
/** Execs opened ahead at once: each starts a process in a pod, which costs CPU a burst may need. */
const SESSION_WORKERS = 2;

export interface Operator {
  readonly server: ObservabilityServer;
  /** Resolves when the operator stopped: after stop(), or when leadership was lost. */
  run(): Promise<'stopped' | 'lost'>;
  stop(): Promise<void>;
}

export function sandboxConfigOf(config: OperatorConfig): SandboxConfig {
  return {
    ...DEFAULT_SANDBOX_CONFIG,
    namespace: config.sandboxNamespace,
    runnerImage: config.runnerImage,
    userNamespaces: config.userNamespaces,
    imagePullPolicy: config.imagePullPolicy,
  };
}

export function createOperator(config: OperatorConfig, kubeConfig: KubeConfig, logger: Logger): Operator {
  const registry = createRegistry({ processMetrics: true });
  const machinery = createMachineryMetrics(registry);
  const domain = createDomainMetrics(registry);
  const sandboxConfig = sandboxConfigOf(config);
  let leading: Leading | undefined;

  const server = createObservabilityServer({
    registry,
    port: config.metricsPort,
    logger,
    readiness: () => {
      if (leading === undefined) return { ready: true, message: 'standing by: not the leader' };
      return leading.synced ? true : { ready: false, message: 'caches are syncing' };
    },
  });

  interface Leading {
    synced: boolean;
    stop(): Promise<void>;
  }

  // Publishes its state at once, so that /readyz says "syncing" until the caches are synced.
  async function lead(signal: AbortSignal): Promise<Leading> {
    const state: Leading = { synced: false, stop: async () => {} };
    leading = state;
    if (config.manageNamespaces) await ensureSandboxNamespace(kubeConfig, config.sandboxNamespace);
    const informerCommon = { kubeConfig, metrics: machinery.informer, logger };
    const runs = new Informer<ObservedRun>({
      ...informerCommon,
      name: 'coderuns',
      path: collectionPath({ group: GROUP, version: VERSION, plural: 'coderuns' }),
      schema: ObservedRunSchema,
    });
    const runtimes = new Informer({
      ...informerCommon,
      name: 'runtimes',
      path: collectionPath({ group: GROUP, version: VERSION, plural: 'runtimes' }),
      schema: RuntimeObjectSchema,
    });
    const pods = new Informer({
      ...informerCommon,
      name: 'sandbox-pods',
      path: collectionPath({ group: '', version: 'v1', plural: 'pods', namespace: config.sandboxNamespace }),
      schema: PodSchema,
      labelSelector: `${LABELS.managedBy}=${MANAGED_BY}`,
    });
    const sandbox = new SandboxApi(kubeConfig, config.sandboxNamespace);
    const pool = new PoolApi(kubeConfig, config.sandboxNamespace);
    const exec = new PodExec(kubeConfig);
    const sessions = new WarmSessions();
    // An execution's end enqueues its run (the controller is declared next; called only later).
    const executions = newExecutions((key) => controller.queue.add(key));
    const controller: Controller = new Controller({
      name: 'coderun',
      workers: config.workers,
      metrics: machinery,
      logger,
      reconcile: codeRunReconciler({
        runs,
        runtimes,
        pods,
        codeRuns: new CodeRunApi(kubeConfig),
        sandbox,
        pool,
        exec,
        sessions,
        executions,
        warmWaitMs: config.warmWaitMs,
        references: new ReferenceReader(kubeConfig),
        events: new EventRecorder(kubeConfig, 'coderun-operator', logger),
        metrics: domain,
        logger,
        sandboxConfig,
        statusConfig: { ...DEFAULT_STATUS_CONFIG, outputBytes: config.statusOutputBytes },
        plan: { referenceGraceMs: config.referenceGraceMs, podStartTimeoutMs: config.podStartTimeoutMs, runtimeReadyWaitMs: config.runtimeReadyWaitMs, maxAttempts: config.maxAttempts },
      }),
    });
    const poolController = new Controller({
      name: 'pool',
      workers: POOL_WORKERS,
      metrics: machinery,
      logger,
      reconcile: poolReconciler({ runtimes, pods, api: pool, metrics: domain, sandboxConfig, logger }),
    });
    // Self-test runs live in the operator's own namespace (the Lease's).
    const selfTests = new SelfTestApi(kubeConfig, config.leaderElectionNamespace);
    const selfTestController = new Controller({
      name: 'runtime-self-test',
      workers: POOL_WORKERS,
      metrics: machinery,
      logger,
      reconcile: selfTestReconciler({ runtimes, runs, api: selfTests, logger }),
    });
    const sessionController: Controller = new Controller({
      name: 'warm-sessions',
      workers: SESSION_WORKERS,
      metrics: machinery,
      logger,
      reconcile: sessionReconciler({ pods, sessions, exec, requeueAfter: (key, ms) => sessionController.queue.addAfter(key, ms), logger }),
    });
    runs.addHandlers(enqueueObject(controller.queue));
    pods.addHandlers(enqueueOwner(sessionController.queue, (pod: V1Pod) => (pod.metadata?.labels?.[LABELS.component] === POOL_COMPONENT ? objectKey(pod) : undefined)));
    pods.addHandlers(enqueueOwner(controller.queue, (pod: V1Pod) => ownerRunKey(pod.metadata)));
    runtimes.addHandlers(enqueueObject(poolController.queue));
    runtimes.addHandlers(enqueueObject(selfTestController.queue));
    runs.addHandlers(
      enqueueOwner(selfTestController.queue, (run: ObservedRun) =>
        run.metadata.namespace === selfTests.namespace ? controllerOwnerKey(run, { group: GROUP, kind: 'Runtime', clusterScoped: true }) : undefined,
      ),
    );
    pods.addHandlers(
      enqueueOwner(poolController.queue, (pod: V1Pod) =>
        pod.metadata?.labels?.[LABELS.component] === POOL_COMPONENT ? labelOwnerKey(pod, { nameLabel: LABELS.runtime }) : undefined,
      ),
    );

    const claimOwner = (pod: V1Pod): ClaimOwner => {
      const key = ownerRunKey(pod.metadata);
      const run = key === undefined ? undefined : runs.get(key);
      if (run === undefined || run.metadata.uid !== pod.metadata?.labels?.[LABELS.runUid]) return { kind: 'missing' };
      if (isTerminal(run.status?.phase)) return { kind: 'terminal' };
      return { kind: 'live', podName: run.status?.podName };
    };
    // Claimed pool pods whose run no longer needs them (finished, gone, or, at start, whose exec
    // died with the previous process). Their runs retry in fresh pods.
    const sweepClaims = async (atStart: boolean): Promise<void> => {
      const claimed = await pool.listPods(CLAIMED_POOL_PODS_SELECTOR);
      for (const name of staleClaims(claimed, claimOwner, atStart)) {
        logger.info({ pod: name }, 'deleting a claimed pool pod that no run is using');
        await pool.deletePod(name);
      }
    };
    const sweep = async (atStart: boolean): Promise<void> => {
      for (const uid of orphanedRunUids(pods.list().map((p) => p.metadata), (key) => runs.get(key)?.metadata.uid)) {
        logger.info({ runUid: uid }, 'deleting sandbox objects of a run that no longer exists');
        await sandbox.deleteAll(runSelector({ uid }));
      }
      await sweepClaims(atStart);
    };
    const sweepTimer = setInterval(() => sweep(false).catch((err: unknown) => logger.warn({ err }, 'orphan sweep failed')), ORPHAN_SWEEP_INTERVAL_MS);

    let stopping: Promise<void> | undefined;
    // Once: both a requested stop and the end of leadership call it.
    state.stop = () =>
      (stopping ??= (async () => {
        clearInterval(sweepTimer);
        await Promise.all([controller.stop(), poolController.stop(), selfTestController.stop(), sessionController.stop()]);
        sessions.closeAll();
        executions.forgetAll();
        await Promise.all([runs.stop(), runtimes.stop(), pods.stop()]);
      })());
    if (signal.aborted) return state;
    await Promise.all([runs.start(), runtimes.start(), pods.start()]);
    await sweep(true);
    // Runs that lost their finalizer's protection while nobody led are reconciled like any other.
    logger.info({ runs: runs.list().length, finalizer: FINALIZER }, 'caches synced; reconciling');
    controller.start();
    poolController.start();
    selfTestController.start();
    sessionController.start();
    state.synced = true;
    return state;
  }

  const elector = config.leaderElection
    ? new LeaderElector({
        kubeConfig,
        namespace: config.leaderElectionNamespace,
        name: 'coderun-operator',
        identity: config.identity,
        metrics: machinery.leaderElection,
        logger,
        onStartedLeading: (signal) => {
          lead(signal).then(
            (state) => {
              leading = state;
              // Leadership may have ended while the caches were syncing.
              if (signal.aborted) void state.stop();
            },
            (err: unknown) => {
              logger.fatal({ err }, 'could not start the controllers');
              void elector?.stop();
            },
          );
        },
        onStoppedLeading: () => {
          void leading?.stop();
        },
      })
    : undefined;

  let stopped: (() => void) | undefined;
  return {
    server,
    async run() {
      await server.listen();
      logger.info({ port: server.port, identity: config.identity }, 'serving /metrics, /healthz and /readyz');
      if (elector === undefined) {
        leading = await lead(new AbortController().signal);
        await new Promise<void>((resolve) => (stopped = resolve));
        return 'stopped';
      }
      const end = await elector.run();
      return end === 'lost' ? 'lost' : 'stopped';
    },
    async stop() {
      // Controllers first, while the lease is still renewed; then release it. Releasing first
      // would let the next leader start while this one still reconciles.
      await leading?.stop();
      await elector?.stop();
      stopped?.();
      await server.close();
    },
  };
}
