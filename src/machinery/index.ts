export { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
export { FakeClock, settle } from './fake-clock.js';
export {
  ItemExponentialFailureRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from './rate-limiter.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export { Controller, type ControllerOptions, type Reconcile, type ReconcileContext, type ReconcileResult, type ReconcileOutcome } from './controller.js';
export { objectKey, splitKey, controllerOwnerKey, labelOwnerKey, type KubeObjectLike, type ObjectMetaLike } from './object-key.js';
export { InformerCache, type CacheChange } from './informer-cache.js';
export { Informer, type InformerOptions, type InformerHandlers } from './informer.js';
export { enqueueObject, enqueueOwner, type KeySink } from './event-handlers.js';
export { listCollection, collectionPath, type RawList, type RawObject } from './kube-list.js';
export { decideLease, timingProblem, type LeaseDecision, type ObservedLease, type LeaderElectionTiming } from './lease-decision.js';
export { LeaderElector, type LeaderElectionOptions, type LeadershipEnd } from './leader-election.js';
