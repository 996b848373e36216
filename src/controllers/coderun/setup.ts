// The CodeRun controller: it watches CodeRuns, and the sandbox pods they own (a pod's event
// reaches its run through the run-name annotation); it reads Runtimes; the sweep of objects no run
// needs starts before it.
import type { V1Pod } from '@kubernetes/client-node';
import { ByteBudget } from '../../machinery/byte-budget.js';
import { GROUP, VERSION } from '../../crds/common.js';
import { CodeRunApi } from '../../kube/coderun-api.js';
import { EventRecorder } from '../../kube/events.js';
import type { PodExec } from '../../kube/pod-exec.js';
import { PoolApi } from '../../kube/pool-api.js';
import { ReferenceReader } from '../../kube/reference-reader.js';
import { SandboxApi } from '../../kube/sandbox-api.js';
import { enqueueObject, enqueueOwner } from '../../machinery/event-handlers.js';
import { collectionPath } from '../../machinery/kube-list.js';
import type { Manager } from '../../machinery/manager.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import { RUNTIMES_INFORMER, sandboxPodsInformer } from '../../sandbox/caches.js';
import type { SandboxConfig } from '../../sandbox/pod.js';
import type { WarmPool } from '../../sandbox/warm-pool.js';
import { ObservedRunSchema, runtimeNameOf, runView } from './observed-run.js';
import { isTerminal } from './plan.js';
import { ownerRunKey } from './orphans.js';
import type { PlanConfig } from './plan.js';
import { codeRunReconciler, newExecutions } from './reconciler.js';
import type { StatusConfig } from './status.js';
import { sweepRunnable } from './sweeps.js';

export interface CodeRunSetup {
  workers: number;
  sandboxConfig: SandboxConfig;
  statusConfig: StatusConfig;
  plan: PlanConfig;
  exec: Pick<PodExec, 'open'>;
  /** Bytes of results in flight at once (CODERUN_RESULT_BUDGET_MIB). */
  resultBudgetBytes: number;
  warm: WarmPool;
  metrics: DomainMetrics;
}

export function setupCodeRunController(mgr: Manager, setup: CodeRunSetup): void {
  const runs = mgr.informer({ name: 'coderuns', path: collectionPath({ group: GROUP, version: VERSION, plural: 'coderuns' }), schema: ObservedRunSchema });
  const runtimes = mgr.informer(RUNTIMES_INFORMER);
  const pods = mgr.informer(sandboxPodsInformer(setup.sandboxConfig.namespace));
  const sandbox = new SandboxApi(mgr.kubeConfig, setup.sandboxConfig.namespace);
  const pool = new PoolApi(mgr.kubeConfig, setup.sandboxConfig.namespace);

  mgr.add(sweepRunnable({ runs, pods, sandbox, pool, logger: mgr.logger }), { leaderElection: true });

  // An execution's end enqueues its run (the controller is made next; called only later).
  const executions = newExecutions((key) => controller.queue.add(key));
  const controller = mgr.addController(
    {
      name: 'coderun',
      workers: setup.workers,
      reconcile: codeRunReconciler({
        runs,
        runtimes,
        pods,
        codeRuns: new CodeRunApi(mgr.kubeConfig),
        sandbox,
        pool,
        exec: setup.exec,
        resultBudget: new ByteBudget(setup.resultBudgetBytes),
        warm: setup.warm,
        executions,
        references: new ReferenceReader(mgr.kubeConfig),
        events: new EventRecorder(mgr.kubeConfig, 'coderun-operator', mgr.logger),
        metrics: setup.metrics,
        logger: mgr.logger,
        sandboxConfig: setup.sandboxConfig,
        statusConfig: setup.statusConfig,
        plan: setup.plan,
      }),
    },
    () => executions.forgetAll(),
  );
  runs.addHandlers(enqueueObject(controller.queue));
  pods.addHandlers(enqueueOwner(controller.queue, (pod: V1Pod) => ownerRunKey(pod.metadata)));

  // Runs in flight by phase, read from the cache when Prometheus scrapes the leader.
  let untrack: (() => void) | undefined;
  mgr.add(
    {
      name: 'active-runs-metrics',
      start: async () => {
        untrack = setup.metrics.trackActiveRuns(() =>
          runs
            .list()
            .filter((run) => !isTerminal(run.status?.phase))
            .map((run) => {
              const view = runView(run);
              const running = view.podName !== undefined;
              return { namespace: run.metadata.namespace, runtime: runtimeNameOf(run), phase: running ? 'Running' : 'Pending', since: (running ? view.startedAt : undefined) ?? view.createdAt };
            }),
        );
      },
      stop: async () => untrack?.(),
    },
    { leaderElection: true },
  );
}
