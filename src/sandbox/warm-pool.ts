// What the CodeRun controller asks of the warm pools, and all it knows of them: a pool pod for an
// attempt, and the exec opened ahead into it. controllers/pool implements it; operator.ts hands
// that to the CodeRun controller, so neither controller imports the other.
import type { V1Pod } from '@kubernetes/client-node';
import type { ExecSession } from '../kube/pod-exec.js';
import type { RunRef } from './names.js';

/** A pool pod claimed for the attempt (`fresh`: by this call), or go cold, or look again after `ms`. */
export type WarmStart = { kind: 'claimed'; pod: V1Pod; fresh: boolean } | { kind: 'cold' } | { kind: 'wait'; ms: number };

export interface WarmClaimRequest {
  run: RunRef;
  runtimeName: string;
  attempt: number;
  /** How long the run has waited since it was created (it waits for an idle pod only so long). */
  waitedMs: number;
}

export interface WarmReleaseRequest {
  run: RunRef;
  runtimeName: string;
  attempt: number;
  podName: string;
}

export interface WarmPool {
  /** The pod the attempt already claimed, or a claim of an idle pod of the Runtime's current template. */
  claim(request: WarmClaimRequest): Promise<WarmStart>;
  /** Hands over the claimed pod's exec opened ahead, if it has one; no session is opened into it afterwards. */
  takeSession(podName: string): ExecSession | undefined;
  /**
   * After the attempt's run ended cleanly: returns its pod to the pool when the Runtime's
   * warmPool.runsPerPod allows it and the pod is fit (true); false when the caller must delete it.
   */
  release(request: WarmReleaseRequest): Promise<boolean>;
}
