// What the pool controller has done that its pod cache may not show yet (a ReplicaSet's
// expectations, by pod name): pods it created and pods it deleted. A reconcile working from a
// cache that lags behind its own writes would otherwise create a second set of pods, or reuse
// the uid of a pod it just created.

/**
 * How long an expectation waits for the cache. A pod the watch never reports (created and gone
 * between two relists) is then counted as it is; the informers relist every 5 minutes.
 */
export const EXPECTATION_TTL_MS = 5 * 60_000;

export interface ExpectedCreate {
  name: string;
  uid: number;
  templateHash: string;
  atMs: number;
}

/** The writes of one Runtime's pool that its cache does not show yet. */
export interface PendingWrites {
  creates: ExpectedCreate[];
  /** Names of pods deleted that the cache still shows live. */
  deletes: ReadonlySet<string>;
  /** When the oldest of them expires; undefined when there are none. */
  expiresAtMs: number | undefined;
}

/** Names of one Runtime's pool pods in the cache. */
export interface CachedNames {
  /** Every pod, being deleted or not. */
  all: ReadonlySet<string>;
  /** Pods not being deleted. */
  live: ReadonlySet<string>;
}

export class PoolExpectations {
  private readonly creates = new Map<string, Map<string, ExpectedCreate>>();
  private readonly deletes = new Map<string, Map<string, number>>();

  constructor(private readonly ttlMs: number = EXPECTATION_TTL_MS) {}

  /** Call before the create request: a reconcile running meanwhile must already count the pod. */
  expectCreate(runtime: string, create: ExpectedCreate): void {
    entriesOf(this.creates, runtime).set(create.name, create);
  }

  /** The create failed: the pod will never show up. */
  createFailed(runtime: string, name: string): void {
    this.creates.get(runtime)?.delete(name);
  }

  expectDelete(runtime: string, name: string, atMs: number): void {
    entriesOf(this.deletes, runtime).set(name, atMs);
  }

  /** Drops the expectations the cache now meets or that expired; returns the rest. */
  pending(runtime: string, cached: CachedNames, nowMs: number): PendingWrites {
    const creates = this.creates.get(runtime);
    const deletes = this.deletes.get(runtime);
    let expiresAtMs: number | undefined;
    const keep = (atMs: number, met: boolean): boolean => {
      if (met || nowMs - atMs >= this.ttlMs) return false;
      expiresAtMs = Math.min(expiresAtMs ?? Infinity, atMs + this.ttlMs);
      return true;
    };
    for (const [name, create] of creates ?? []) if (!keep(create.atMs, cached.all.has(name))) creates?.delete(name);
    for (const [name, atMs] of deletes ?? []) if (!keep(atMs, !cached.live.has(name))) deletes?.delete(name);
    if (creates?.size === 0) this.creates.delete(runtime);
    if (deletes?.size === 0) this.deletes.delete(runtime);
    return { creates: [...(creates?.values() ?? [])], deletes: new Set(deletes?.keys()), expiresAtMs };
  }

  /** Pods created, of every Runtime, that are not among `cached` (names of every pool pod in the cache). */
  createsNotIn(cached: ReadonlySet<string>): number {
    let count = 0;
    for (const byName of this.creates.values()) for (const name of byName.keys()) if (!cached.has(name)) count++;
    return count;
  }

  /** Uids of created pods the cache does not show yet, of every Runtime: no new pod may take one. */
  uidsInFlight(): number[] {
    return [...this.creates.values()].flatMap((byName) => [...byName.values()].map((c) => c.uid));
  }
}

function entriesOf<V>(map: Map<string, Map<string, V>>, runtime: string): Map<string, V> {
  let entries = map.get(runtime);
  if (entries === undefined) {
    entries = new Map();
    map.set(runtime, entries);
  }
  return entries;
}
