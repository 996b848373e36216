// Helpers of the hostile-submission suites (hostile-*.test.ts): the same hostile program on both
// paths (a test-only Runtime with a warm pool and one without), the operator watched while they
// run (its Lease, how long it takes to answer), and the status as stored (fields the CRD schema of
// the tests may not know yet, such as stdoutEncoding).
import { CoordinationV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Limits } from '../../src/crds/limits.js';
import { GROUP, VERSION } from '../../src/crds/common.js';
import type { CodeRunTestNamespace, ObservedCodeRun } from '../support/coderun-e2e.js';
import type { InstalledOperator } from '../support/installed-operator.js';
import { PoolRuntime, SMALL_POOL_REQUESTS } from './warm-support.js';
import type { RunPath } from '../../src/crds/coderun.js';

export type { RunPath };
export const PATHS: readonly RunPath[] = ['warm', 'cold'];

/** A hostile program's source, from test/e2e/hostile-programs/. */
export function hostileProgram(file: string): string {
  return readFileSync(join(import.meta.dirname, 'hostile-programs', file), 'utf8');
}

/** The run of case `name` on `path`: every case is submitted once per path. */
export const runName = (name: string, path: RunPath): string => `${name}-${path}`;

/**
 * Two test-only copies of a standard Runtime: `warm` with a warm pool, `cold` without. Both get
 * the same `max` overrides (e.g. a larger outputBytes), so a case runs under the same limits on
 * both paths. Created before the operator starts, so it never sees them half made.
 */
export class PathRuntimes {
  readonly warm: PoolRuntime;
  readonly cold: PoolRuntime;

  constructor(
    kc: KubeConfig,
    readonly standard: string,
    suffix: string,
  ) {
    this.warm = new PoolRuntime(kc, `e2e-hostile-warm-${standard}-${suffix}`);
    this.cold = new PoolRuntime(kc, `e2e-hostile-cold-${standard}-${suffix}`);
  }

  name(path: RunPath): string {
    return path === 'warm' ? this.warm.name : this.cold.name;
  }

  async create(pool: number, max: Partial<Limits> = {}): Promise<void> {
    await this.warm.createFrom(this.standard, { replicas: pool, resources: SMALL_POOL_REQUESTS, ...runsPerPodFromEnv() });
    await this.cold.createFrom(this.standard, undefined);
    if (Object.keys(max).length > 0) {
      await Promise.all([this.warm.patchSpec({ limits: { max } }), this.cold.patchSpec({ limits: { max } })]);
    }
  }

  async delete(): Promise<void> {
    await Promise.all([this.warm.delete(), this.cold.delete()]);
  }
}

/**
 * CODERUN_E2E_RUNS_PER_POD=N runs the suites with warmPool.runsPerPod N on their warm Runtimes:
 * each warm pod then serves several of the suite's hostile cases, one after another.
 */
export function runsPerPodFromEnv(): { runsPerPod?: number } {
  const text = process.env.CODERUN_E2E_RUNS_PER_POD;
  if (text === undefined || text === '') return {};
  const runsPerPod = Number(text);
  if (!Number.isInteger(runsPerPod) || runsPerPod < 1) throw new Error(`CODERUN_E2E_RUNS_PER_POD must be a whole number of runs, 1 or more; got ${JSON.stringify(text)}`);
  return { runsPerPod };
}

/** Environment of the suites' operator: a warm case waits for a pool pod instead of going cold. */
export const HOSTILE_OPERATOR_ENV = { CODERUN_WARM_WAIT_MS: '180000' };

const LEASE = { namespace: 'coderun-system', name: 'coderun-operator' };

/** The operator's Lease as first seen after it started leading. */
export interface LeaseSeen {
  holder: string;
  transitions: number;
}

export async function readLease(kc: KubeConfig): Promise<LeaseSeen> {
  const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease(LEASE);
  return { holder: lease.spec?.holderIdentity ?? '', transitions: lease.spec?.leaseTransitions ?? 0 };
}

/** Lines of the operator's log whose msg says it lost or gave up its lease. */
export async function leaseLossesInLog(operator: InstalledOperator): Promise<string[]> {
  return (await operator.logText())
    .split('\n')
    .filter((line) => line.includes('"msg":"leadership lost"') || line.includes('leadership lost; exiting'));
}

/**
 * Asks the operator's /metrics in a loop (each request served by its one event loop, like the
 * Lease renewals) and keeps the longest answer: an event loop held by one run's judging shows
 * up here as a long answer. A request that gets no answer within 60 s counts as 60 s.
 */
export class ResponsivenessProbe {
  private longestMs = 0;
  private failures: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly operator: InstalledOperator) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 60_000)));
      try {
        const answer = await Promise.race([this.operator.metrics(), timeout]);
        if (answer === 'timeout') this.failures.push('no answer within 60 s');
      } catch (err) {
        this.failures.push(err instanceof Error ? err.message : String(err));
      } finally {
        clearTimeout(timer);
      }
      this.longestMs = Math.max(this.longestMs, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop(): Promise<{ longestMs: number; failures: string[] }> {
    this.stopped = true;
    await this.loop;
    return { longestMs: this.longestMs, failures: this.failures };
  }
}

/**
 * Waits for every named run to be terminal, noting when each was first seen so (for how long a
 * run took from its submission). Fails at once when the operator process has exited.
 */
export async function waitAndTime(
  ns: CodeRunTestNamespace,
  names: string[],
  timeoutMs: number,
  operator: InstalledOperator | undefined,
): Promise<{ results: Map<string, ObservedCodeRun>; seenAt: Map<string, number> }> {
  const seenAt = new Map<string, number>();
  const results = await ns.waitForTerminal(names, timeoutMs, (runs) => {
    operator?.assertRunning();
    const now = Date.now();
    for (const run of runs) if (!seenAt.has(run.name) && (run.status.phase === 'Completed' || run.status.phase === 'Failed')) seenAt.set(run.name, now);
  });
  return { results, seenAt };
}

// The status as stored: the suite's own reading, so that it sees fields whatever the tests' copy
// of the CRD schema says (stdoutEncoding, stderrEncoding).
const StoredTestSchema = z.looseObject({
  name: z.string(),
  stdout: z.string().optional(),
  stdoutEncoding: z.string().optional(),
  stderr: z.string().optional(),
  stderrEncoding: z.string().optional(),
});
const StoredRunSchema = z.looseObject({ status: z.looseObject({ tests: z.array(StoredTestSchema).optional() }).optional() });
export type StoredTest = z.infer<typeof StoredTestSchema>;

export async function storedTests(kc: KubeConfig, namespace: string, name: string): Promise<StoredTest[]> {
  const raw = await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'coderuns', namespace, name });
  return StoredRunSchema.parse(raw).status?.tests ?? [];
}

/** The bytes a stored stdout stands for: base64 when stdoutEncoding says so, else UTF-8 text. */
export function storedStdoutBytes(test: StoredTest): Buffer {
  const text = test.stdout ?? '';
  return test.stdoutEncoding === 'base64' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
}

/**
 * What a judge reads first, in one object: compared whole (toEqual), a mismatch shows all of it,
 * the message saying why included. `stdout` is the first test's.
 */
export function outcome(run: ObservedCodeRun): Record<string, unknown> {
  return { ...verdictOf(run), stdout: run.status.tests?.[0]?.stdout };
}

/** outcome without the output (for runs whose output is megabytes of the same byte). */
export function verdictOf(run: ObservedCodeRun): Record<string, unknown> {
  const { phase, verdict, path, attempts, message } = run.status;
  return { phase, verdict, path, attempts, message };
}

/** A plain A+B run: what other judges' submissions look like while a hostile one runs. */
export const CANARY_PYTHON = {
  source: { inline: 'a, b = map(int, input().split())\nprint(a + b)\n' },
  tests: [{ name: '1', stdin: '20 22\n', expectedStdout: '42\n' }],
};
