// The Runtime self-test controller: it watches Runtimes, and the self-test CodeRuns they own in
// the operator's namespace (a run's event reaches its Runtime through the owner reference).
import { z } from 'zod';
import { GROUP, ObjectMetaSchema, VERSION } from '../../crds/common.js';
import { SelfTestApi } from '../../kube/self-test-api.js';
import { enqueueObject, enqueueOwner } from '../../machinery/event-handlers.js';
import { collectionPath } from '../../machinery/kube-list.js';
import type { Manager } from '../../machinery/manager.js';
import { controllerOwnerKey } from '../../machinery/object-key.js';
import { RUNTIMES_INFORMER } from '../../sandbox/caches.js';
import { selfTestReconciler } from './self-test-reconciler.js';

const SelfTestRunSchema = z.looseObject({ metadata: ObjectMetaSchema, status: z.unknown().optional() });
type SelfTestRun = z.infer<typeof SelfTestRunSchema>;

/** Self-tests are few and short: two workers. */
const WORKERS = 2;

export function setupRuntimeSelfTestController(mgr: Manager, options: { namespace: string }): void {
  const runtimes = mgr.informer(RUNTIMES_INFORMER);
  // Only the operator's namespace, where the self-test runs are: a small watch of its own.
  const runs = mgr.informer({
    name: 'self-test-runs',
    path: collectionPath({ group: GROUP, version: VERSION, plural: 'coderuns', namespace: options.namespace }),
    schema: SelfTestRunSchema,
  });
  const api = new SelfTestApi(mgr.kubeConfig, options.namespace);
  const controller = mgr.addController({
    name: 'runtime-self-test',
    workers: WORKERS,
    reconcile: selfTestReconciler({ runtimes, runs, api, logger: mgr.logger }),
  });
  runtimes.addHandlers(enqueueObject(controller.queue));
  runs.addHandlers(
    enqueueOwner(controller.queue, (run: SelfTestRun) => controllerOwnerKey(run, { group: GROUP, kind: 'Runtime', clusterScoped: true })),
  );
}
