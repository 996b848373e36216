// The helm CLI as the chart's tests use it: built from its Go module (hack/helm-bin/build.sh,
// cached; a test fails, never skips, when it cannot be built), with its caches and settings in a
// directory of this process instead of the user's home.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'deploy/helm/coderun');
/** A first build of helm takes about 4 minutes on 2 cores; a cached one milliseconds. */
export const HELM_BUILD_TIMEOUT_MS = 15 * 60_000;

/** A manifest as helm renders it: loosely typed, the tests read what they check. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export class HelmFailed extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`helm ${args.join(' ')} failed:\n${stderr}`);
  }
}

export class Helm {
  private readonly home = mkdtempSync(join(tmpdir(), 'coderun-helm-'));

  private constructor(readonly binary: string) {}

  /** Builds helm if the cache lacks it. */
  static build(): Helm {
    const binary = execFileSync('bash', [join(ROOT, 'hack/helm-bin/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    return new Helm(binary);
  }

  /** Runs helm and returns its stdout; throws HelmFailed with its stderr when it exits non-zero. */
  run(args: string[], timeoutMs = 60_000): string {
    try {
      return execFileSync(this.binary, args, {
        encoding: 'utf8',
        timeout: timeoutMs,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HELM_CACHE_HOME: join(this.home, 'cache'), HELM_CONFIG_HOME: join(this.home, 'config'), HELM_DATA_HOME: join(this.home, 'data') },
      });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new HelmFailed(args, stderr);
    }
  }

  /** Removes helm's caches and settings of this process. */
  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }

  /** `helm template` of the chart: the manifests it would install, in order. */
  template(release: string, namespace: string, args: string[] = []): Manifest[] {
    const text = this.run(['template', release, CHART, '--namespace', namespace, ...args]);
    return parseAllDocuments(text)
      .map((d) => d.toJS() as Manifest | null)
      .filter((m): m is Manifest => m !== null);
  }
}

/** helm for the tests of one file: built in beforeAll, its caches removed in afterAll. */
export function helmForSuite(): () => Helm {
  let helm: Helm | undefined;
  beforeAll(() => {
    helm = Helm.build();
  }, HELM_BUILD_TIMEOUT_MS);
  afterAll(() => helm?.dispose());
  return () => {
    if (helm === undefined) throw new Error('helm is built in beforeAll: call it from a test');
    return helm;
  };
}
