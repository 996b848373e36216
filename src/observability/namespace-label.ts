/** The value that stands for every namespace past the limit. */
export const OTHER_NAMESPACES = '_other';

/**
 * The `namespace` label of per-course metrics, bounded: the first `limit` namespaces seen keep
 * their own name, every later one is counted under "_other". A judge creates one namespace per
 * course, so the default limit covers a campus; a cluster with more raises it (or sees the
 * newest courses together). The set lives as long as the process: a restart starts it afresh.
 */
export class NamespaceLabels {
  private readonly known = new Set<string>();

  constructor(private readonly limit: number) {}

  label(namespace: string): string {
    if (this.known.has(namespace)) return namespace;
    if (this.known.size >= this.limit) return OTHER_NAMESPACES;
    this.known.add(namespace);
    return namespace;
  }
}
