// What one reconcile sees of a run: the caches, an API read where a cache miss would decide,
// the pod's Warning events where its status gives no reason, and the execution this process holds.
import type { V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../../sandbox/names.js';
import type { CodeRunReconcilerDeps } from './context.js';
import { podView } from './observed-pod.js';
import { runView, type ObservedRun } from './observed-run.js';
import { isTerminal, type ExecView, type PodView, type RunView, type Validity } from './plan.js';
import { prepare, type Prepared } from './prepare.js';

/** How long a pod may be pending without a reason before its events are read. */
const EVENTS_AFTER_MS = 2000;

export interface Observation {
  view: RunView;
  /** Prepared when the run has yet to start (a new run starts in the reconcile that adds its finalizer). */
  prepared: Prepared | undefined;
  validity: Validity;
  /** The current attempt's pod (for a finished run: any pod of the run still there). */
  pod: V1Pod | undefined;
  podSeen: PodView;
  exec: ExecView;
}

const notDeleting = (pod: V1Pod | undefined): V1Pod | undefined => (pod?.metadata?.deletionTimestamp === undefined ? pod : undefined);

export async function observe(deps: CodeRunReconcilerDeps, key: string, run: ObservedRun, at: Date): Promise<Observation> {
  const view: RunView = { ...runView(run), path: run.status?.path };
  // Preparation reads references: only a run that has yet to start needs it.
  const needsStart = !view.deleting && !isTerminal(view.phase) && view.podName === undefined;
  const prepared = needsStart ? await prepare(deps, run) : undefined;
  const validity: Validity = prepared?.kind === 'blocked' ? prepared.validity : { kind: 'valid' };

  let pod: V1Pod | undefined;
  if (isTerminal(view.phase)) {
    // A finished run's pods are only ever deleted: the cache is enough, a pod already being
    // deleted needs no second delete, and any pod of the run counts (one claimed or created by an
    // operator killed mid-step is named nowhere in the status).
    // A pod released to its pool (warmPool.runsPerPod) is named in the status but no longer the run's.
    const ofRun = (p: V1Pod | undefined): V1Pod | undefined => (p?.metadata?.labels?.[LABELS.runUid] === run.metadata.uid ? notDeleting(p) : undefined);
    const named = view.podName === undefined ? undefined : deps.pods.get(`${deps.sandboxConfig.namespace}/${view.podName}`);
    pod = ofRun(named) ?? deps.pods.list().find((p) => ofRun(p) !== undefined);
  } else if (view.podName !== undefined) {
    // A cache miss right after the pod was created must not look like a lost pod: ask the API.
    pod = deps.pods.get(`${deps.sandboxConfig.namespace}/${view.podName}`) ?? (await deps.sandbox.readPod(view.podName));
  }

  const exec: ExecView = view.podName === undefined ? { kind: 'none' } : deps.executions.view(key, view.attempts, view.podName);
  return { view, prepared, validity, pod, podSeen: await observePod(deps, pod, at), exec };
}

// A pod pending for a while with no reason in its status: its Warning events may name one (a
// kubelet keeps a container at PodInitializing while the events say ErrImageNeverPull).
async function observePod(deps: CodeRunReconcilerDeps, pod: V1Pod | undefined, at: Date): Promise<PodView> {
  const seen = podView(pod);
  const uid = pod?.metadata?.uid;
  if (seen.kind !== 'pending' || seen.waitingReason !== undefined || uid === undefined) return seen;
  if (at.getTime() - seen.createdAt.getTime() < EVENTS_AFTER_MS) return seen;
  return podView(pod, await deps.sandbox.podWarnings(uid));
}
