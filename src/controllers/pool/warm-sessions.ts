// The exec sessions opened ahead into idle pool pods, by pod name: in each, `runner run` has
// started and waits for its job on stdin. A run that claims such a pod takes its session and
// sends the job through it, so the claim is followed by no exec start at all. Sessions live only
// in this process (the leader); a session whose connection ends is dropped, and the pod's runner
// sees its stdin close and exits without running anything.
import type { ExecSession } from '../../kube/pod-exec.js';

/** What to do about one pool pod's session. Pure. */
export type SessionAction = 'open' | 'close' | 'keep';

/**
 * A claimable pod (idle, Ready, not deleting) needs a session; a pod that is gone or deleting
 * needs none. A claimed pod keeps its session: the run that claimed it is about to take it. A pod
 * whose session was taken never gets another, even while a stale cache still shows it idle: its
 * run is using it.
 */
export function sessionAction(pod: { claimable: boolean; gone: boolean; taken: boolean }, hasSession: boolean): SessionAction {
  if (pod.gone) return hasSession ? 'close' : 'keep';
  return pod.claimable && !pod.taken && !hasSession ? 'open' : 'keep';
}

export class WarmSessions {
  private readonly sessions = new Map<string, ExecSession>();
  /** Pods a run has claimed (and taken the session of, if there was one); forgotten when the pod is gone. */
  private readonly taken = new Set<string>();

  /** The pod has a session that can still be sent to. */
  has(podName: string): boolean {
    return this.sessions.get(podName)?.open ?? false;
  }

  /**
   * Keeps `session` for its pod, closing one it replaces. A session that ends while kept here
   * (not taken, not closed by this store) is dropped and reported to `onEndedUnused`.
   */
  put(session: ExecSession, onEndedUnused: () => void = () => {}): void {
    const old = this.sessions.get(session.pod);
    this.sessions.set(session.pod, session);
    if (old !== undefined && old !== session) old.close();
    session.onClosed(() => {
      if (this.sessions.get(session.pod) !== session) return;
      this.sessions.delete(session.pod);
      onEndedUnused();
    });
  }

  /**
   * Hands the pod's open session to the run that claimed the pod, and forgets it; undefined when
   * there is none. Either way the pod is marked taken: no session is opened into it any more.
   */
  take(podName: string): ExecSession | undefined {
    const session = this.sessions.get(podName);
    this.sessions.delete(podName);
    this.taken.add(podName);
    return session?.open === true ? session : undefined;
  }

  /** The pod's run ended and the pod is idle again (warmPool.runsPerPod): a session may be opened into it. */
  released(podName: string): void {
    this.taken.delete(podName);
  }

  wasTaken(podName: string): boolean {
    return this.taken.has(podName);
  }

  /** The pod is gone: nothing about it is kept. */
  forget(podName: string): void {
    this.close(podName);
    this.taken.delete(podName);
  }

  close(podName: string): void {
    const session = this.sessions.get(podName);
    this.sessions.delete(podName);
    session?.close();
  }

  closeAll(): void {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.taken.clear();
    for (const session of all) session.close();
  }

  get size(): number {
    return this.sessions.size;
  }
}
