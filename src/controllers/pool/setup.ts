// The warm pools' controllers: the pool controller (a Runtime's pool pods) and the session
// controller (an exec opened ahead in each claimable pool pod). Returns the pools as the CodeRun
// controller sees them.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodExec } from '../../kube/pod-exec.js';
import { PoolApi } from '../../kube/pool-api.js';
import { enqueueObject, enqueueOwner } from '../../machinery/event-handlers.js';
import type { Manager } from '../../machinery/manager.js';
import { labelOwnerKey, objectKey } from '../../machinery/object-key.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import { RUNTIMES_INFORMER, sandboxPodsInformer } from '../../sandbox/caches.js';
import { LABELS } from '../../sandbox/names.js';
import type { SandboxConfig } from '../../sandbox/pod.js';
import { POOL_COMPONENT } from '../../sandbox/pool-labels.js';
import type { WarmPool } from '../../sandbox/warm-pool.js';
import { poolReconciler } from './pool-reconciler.js';
import { sessionReconciler } from './session-reconciler.js';
import { newWarmPool } from './warm-pool.js';
import { WarmSessions } from './warm-sessions.js';

/** Workers of the pool controller: its reconciles are short and touch one Runtime each. */
const POOL_WORKERS = 2;
/** Execs opened ahead at once: each starts a process in a pod, which costs CPU a burst may need. */
const SESSION_WORKERS = 2;

export interface PoolSetup {
  sandboxConfig: SandboxConfig;
  exec: Pick<PodExec, 'open'>;
  metrics: DomainMetrics;
  /** How long a run may wait for an idle pool pod before it takes the cold path. */
  warmWaitMs: number;
  /** Pool pods of all pools starting at once at most; 0: no bound. */
  maxStarting: number;
}

const isPoolPod = (pod: V1Pod): boolean => pod.metadata?.labels?.[LABELS.component] === POOL_COMPONENT;

export function setupPoolControllers(mgr: Manager, setup: PoolSetup): WarmPool {
  const runtimes = mgr.informer(RUNTIMES_INFORMER);
  const pods = mgr.informer(sandboxPodsInformer(setup.sandboxConfig.namespace));
  const api = new PoolApi(mgr.kubeConfig, setup.sandboxConfig.namespace);
  const sessions = new WarmSessions();

  const pool = mgr.addController({
    name: 'pool',
    workers: POOL_WORKERS,
    reconcile: poolReconciler({ runtimes, pods, api, metrics: setup.metrics, sandboxConfig: setup.sandboxConfig, maxStarting: setup.maxStarting, logger: mgr.logger }),
  });
  runtimes.addHandlers(enqueueObject(pool.queue));
  pods.addHandlers(enqueueOwner(pool.queue, (pod: V1Pod) => (isPoolPod(pod) ? labelOwnerKey(pod, { nameLabel: LABELS.runtime }) : undefined)));

  const sessionController = mgr.addController(
    {
      name: 'warm-sessions',
      workers: SESSION_WORKERS,
      reconcile: sessionReconciler({ pods, sessions, exec: setup.exec, requeueAfter: (key, ms) => sessionController.queue.addAfter(key, ms), logger: mgr.logger }),
    },
    () => sessions.closeAll(),
  );
  pods.addHandlers(enqueueOwner(sessionController.queue, (pod: V1Pod) => (isPoolPod(pod) ? objectKey(pod) : undefined)));

  return newWarmPool({ pods, runtimes, sessions, pool: api, metrics: setup.metrics, sandboxConfig: setup.sandboxConfig, warmWaitMs: setup.warmWaitMs, logger: mgr.logger });
}
