// Versions of each run this process wrote over. The cache still showing one of them is stale:
// the write's watch event has yet to arrive, and a reconcile acting on the old version could
// claim a second pool pod or start a second attempt.
export class WrittenVersions {
  private readonly byKey = new Map<string, Set<string>>();

  add(key: string, resourceVersion: string): void {
    const versions = this.byKey.get(key) ?? new Set<string>();
    versions.add(resourceVersion);
    this.byKey.set(key, versions);
  }

  isStale(key: string, resourceVersion: string): boolean {
    return this.byKey.get(key)?.has(resourceVersion) ?? false;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}
