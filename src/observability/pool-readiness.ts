import type { V1Pod } from '@kubernetes/client-node';

/** Seconds from a pod's creation until its Ready condition turned True; undefined while not Ready. */
export function readySeconds(pod: V1Pod): number | undefined {
  const created = pod.metadata?.creationTimestamp;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
  if (created === undefined || ready === undefined) return undefined;
  // Cached pods hold the API's strings where the client's types say Date: new Date takes both.
  return Math.max(0, (new Date(ready).getTime() - new Date(created).getTime()) / 1000);
}

/** Hands out each pod's ready time once (by uid), per pool; pods gone from the pool are forgotten. */
export class ReadyOnce {
  private readonly seen = new Map<string, Set<string>>();

  newlyReady(pool: string, pods: readonly V1Pod[]): number[] {
    const before = this.seen.get(pool) ?? new Set<string>();
    const now = new Set<string>();
    const times: number[] = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid;
      const seconds = readySeconds(pod);
      if (uid === undefined || seconds === undefined) continue;
      now.add(uid);
      if (!before.has(uid)) times.push(seconds);
    }
    if (now.size > 0) this.seen.set(pool, now);
    else this.seen.delete(pool);
    return times;
  }
}
