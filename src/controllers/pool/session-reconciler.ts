// Keeps an exec session open ahead in every claimable pool pod (see warm-sessions.ts). Keyed by
// pod "namespace/name" and driven by the pod cache. A session that ends while its pod is still
// idle (connection lost, runner gone) is opened again after a per-pod backoff, so a pod whose
// runner cannot start costs one exec per backoff step, not a loop.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ExecSession, ExecTarget } from '../../kube/pod-exec.js';
import { SANDBOX_CONTAINER, runnerRunCommand } from '../../sandbox/pod.js';
import type { Reconcile } from '../../machinery/controller.js';
import { ItemExponentialFailureRateLimiter } from '../../machinery/rate-limiter.js';
import { isClaimable } from './claim-choice.js';
import { sessionAction, type WarmSessions } from './warm-sessions.js';

/** Backoff before a pod whose session ended unused gets a new one: 1 s doubling to 1 min. */
const REOPEN_BASE_MS = 1000;
const REOPEN_MAX_MS = 60_000;

export interface SessionReconcilerDeps {
  pods: { get(key: string): V1Pod | undefined };
  sessions: WarmSessions;
  exec: { open(target: ExecTarget): Promise<ExecSession> };
  /** Enqueues the key again after `delayMs`. */
  requeueAfter: (key: string, delayMs: number) => void;
  logger: Logger;
}

export function sessionReconciler(deps: SessionReconcilerDeps): Reconcile {
  const reopenBackoff = new ItemExponentialFailureRateLimiter<string>(REOPEN_BASE_MS, REOPEN_MAX_MS);
  return async (key) => {
    const [namespace = '', name = ''] = key.split('/');
    const pod = deps.pods.get(key);
    if (pod === undefined) {
      // Gone: its session (if any) is closed and nothing about it is kept.
      reopenBackoff.forget(key);
      deps.sessions.forget(name);
      return;
    }
    const gone = pod.metadata?.deletionTimestamp !== undefined;
    const action = sessionAction({ claimable: isClaimable(pod), gone, taken: deps.sessions.wasTaken(name) }, deps.sessions.has(name));
    if (action === 'close') deps.sessions.close(name);
    if (action !== 'open') return;
    const session = await deps.exec.open({ namespace, pod: name, container: SANDBOX_CONTAINER, command: runnerRunCommand() });
    // A run may have claimed the pod while the exec was opening (and started its own exec).
    if (deps.sessions.wasTaken(name)) {
      session.close();
      return;
    }
    deps.sessions.put(session, () => {
      const delayMs = reopenBackoff.when(key);
      deps.logger.debug({ pod: name, delayMs }, 'a warm exec session ended unused; opening another after a backoff');
      deps.requeueAfter(key, delayMs);
    });
  };
}
