// The operator as end-to-end tests meet it: the built dist/main.js in its own process, against the
// local cluster, with leader election on, its log in .cluster/logs. Tests stop it politely
// (SIGTERM: it releases the Lease) or brutally (SIGKILL: the Lease stays until it expires).
import { ApiextensionsV1Api, CoordinationV1Api, CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { VERSION } from '../../src/crds/common.js';
import { eventually } from './eventually.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const KUBECTL = join(ROOT, '.cluster/bin/kubectl');
const MAIN = join(ROOT, 'dist/main.js');
const LOG_DIR = join(ROOT, '.cluster/logs');
/** Where main.ts keeps its Lease (config.ts defaults; the name is fixed in operator.ts). */
const LEASE = { namespace: 'coderun-system', name: 'coderun-operator' };
const FIELD_MANAGER = 'coderun-e2e';

/**
 * Builds dist/ once per test process: jest --runInBand runs every test file in one process, and
 * each file's module registry is fresh, so a marker file (named by the pid) remembers the build.
 */
export function buildOperatorOnce(): void {
  const marker = join(tmpdir(), `coderun-e2e-build-${process.pid}`);
  if (existsSync(marker)) return;
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  writeFileSync(marker, new Date().toISOString());
}

function manifestsIn(dir: string): KubernetesObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubernetesObject))
    .filter((o) => o !== null);
}

/**
 * `kubectl apply --server-side --force-conflicts` of every manifest in `dir`, as a user installs
 * them. (Not through the client library: its serializer drops keys whose wire names differ from
 * its field names, `x-kubernetes-validations` and `enum` among them, so the CRDs would lose their
 * CEL rules.) Returns the names applied.
 */
function applyAll(kc: KubeConfig, dir: string): string[] {
  const scratch = mkdtempSync(join(tmpdir(), 'coderun-apply-'));
  try {
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
    execFileSync(KUBECTL, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return manifestsIn(dir).map((o) => o.metadata?.name ?? '?');
}

/** The CRDs from deploy/crds (established) and the standard Runtimes from deploy/runtimes. */
export async function installCodeRunResources(kc: KubeConfig): Promise<void> {
  const crds = applyAll(kc, join(ROOT, 'deploy/crds'));
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const name of crds) {
    // API calls that fail while the CRD is being set up count as "not yet".
    const poll = { intervalMs: 100, ignoreErrors: true };
    await eventually(
      `CRD ${name} to be Established`,
      async () => (await ext.readCustomResourceDefinition({ name })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false,
      30_000,
      poll,
    );
    // Established is not yet serving: a new resource answers 429 "storage is (re)initializing"
    // for a moment. Wait until it lists.
    const [plural, ...group] = name.split('.');
    await eventually(
      `the ${name} API to serve`,
      async () => (await custom.listClusterCustomObject({ group: group.join('.'), version: VERSION, plural: plural ?? '', limit: 1 }), true),
      30_000,
      poll,
    );
  }
  applyAll(kc, join(ROOT, 'deploy/runtimes'));
}

const LogLineSchema = z.looseObject({ msg: z.string().optional(), port: z.number().int().optional() });

export interface OperatorStartOptions {
  /** Names the log file: .cluster/logs/operator-e2e-<label>-<time>.log. */
  label: string;
  /** Extra environment, e.g. CODERUN_REFERENCE_GRACE_SECONDS. */
  env?: Record<string, string>;
  /** How long to wait for the Lease (default 120 s): after a SIGKILL the old holder's Lease must expire first (15 s), and another operator on a shared cluster may hold it a while. */
  leadTimeoutMs?: number;
}

/** One operator process. Construct through start(). */
export class OperatorProcess {
  private readonly exited: Promise<number | string>;
  private exitedWith: number | string | undefined;
  private readonly messages: string[] = [];
  private portSeen: ((port: number) => void) | undefined;
  private readonly port: Promise<number>;

  private constructor(
    private readonly child: ChildProcess,
    readonly logPath: string,
    private readonly log: WriteStream,
    private readonly kc: KubeConfig,
  ) {
    this.port = new Promise((resolvePort) => (this.portSeen = resolvePort));
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.exitedWith = code ?? signal ?? 'unknown';
        resolveExit(this.exitedWith);
      });
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      this.observe(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
  }

  /**
   * Builds (once), installs the CRDs and Runtimes, starts the operator and resolves once it leads
   * with synced caches and /readyz answers 200. Fails naming the Lease holder when another
   * operator keeps the Lease (stop that one: only one may reconcile).
   */
  static async start(kc: KubeConfig, options: OperatorStartOptions): Promise<OperatorProcess> {
    buildOperatorOnce();
    await installCodeRunResources(kc);
    mkdirSync(LOG_DIR, { recursive: true });
    const logPath = join(LOG_DIR, `operator-e2e-${options.label}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    const log = createWriteStream(logPath);
    const kubeconfigPath = process.env.KUBECONFIG;
    if (!kubeconfigPath) throw new Error('KUBECONFIG is not set: the e2e globalSetup brings the cluster up and sets it');
    const child = spawn(NODE, [MAIN], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        KUBECONFIG: kubeconfigPath,
        CODERUN_IMAGE_PULL_POLICY: 'Never',
        CODERUN_METRICS_PORT: '0',
        CODERUN_LEADER_ELECTION: 'true',
        CODERUN_LEADER_ELECTION_NAMESPACE: LEASE.namespace,
        CODERUN_IDENTITY: `e2e-${options.label}-${Date.now()}`,
        LOG_LEVEL: 'debug',
        ...options.env,
      },
    });
    const operator = new OperatorProcess(child, logPath, log, kc);
    try {
      await operator.waitUntilLeadingAndReady(options.leadTimeoutMs ?? 120_000);
    } catch (err) {
      await operator.kill();
      throw err;
    }
    return operator;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private observe(line: string): void {
    let parsed: z.infer<typeof LogLineSchema> | undefined;
    try {
      const result = LogLineSchema.safeParse(JSON.parse(line));
      parsed = result.success ? result.data : undefined;
    } catch {
      return;
    }
    if (parsed?.msg !== undefined) this.messages.push(parsed.msg);
    if (parsed?.port !== undefined && parsed.port > 0) this.portSeen?.(parsed.port);
  }

  private logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }

  private async waitUntilLeadingAndReady(timeoutMs: number): Promise<void> {
    const died = (): string => (this.exitedWith === undefined ? '' : ` (the operator exited: ${this.exitedWith}); log ${this.logPath}:\n${this.logTail()}`);
    const port = await Promise.race([
      this.port,
      this.exited.then((how) => Promise.reject(new Error(`the operator exited (${how}) before serving /readyz; log ${this.logPath}:\n${this.logTail()}`))),
    ]);
    // A refused connection or a failed Lease read counts as "not yet".
    const poll = { intervalMs: 100, ignoreErrors: true, detail: died };
    const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
    await eventually(`the operator's /readyz on port ${port} to answer 200`, readyz, 20_000, poll);
    let holder = '';
    await eventually(
      `the operator to lead with synced caches (Lease ${LEASE.namespace}/${LEASE.name})`,
      async () => {
        if (this.exitedWith !== undefined) return false;
        if (this.messages.includes('caches synced; reconciling')) return true;
        const lease = await this.kc.makeApiClient(CoordinationV1Api).readNamespacedLease(LEASE);
        holder = lease.spec?.holderIdentity ?? '';
        return false;
      },
      timeoutMs,
      { ...poll, detail: () => `${died()}${holder ? `; the Lease is held by "${holder}": stop that operator, only one may reconcile` : ''}` },
    );
    // Leading: now /readyz reflects the synced caches, not "standing by".
    await eventually(`/readyz 200 while leading`, readyz, 10_000, poll);
  }

  /** Throws, with the end of its log, when the process has exited: a wait on runs fails at once. */
  assertRunning(): void {
    if (this.exitedWith !== undefined) throw new Error(`the operator exited (${this.exitedWith}); log ${this.logPath}:\n${this.logTail()}`);
  }

  /** The Prometheus text of /metrics. */
  async metrics(): Promise<string> {
    const port = await this.port;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  /** SIGTERM and wait for the exit (the Lease is released); SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.exitedWith === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.closeLog();
  }

  /** SIGKILL: the process dies mid-work and its Lease stays until it expires. */
  async kill(): Promise<void> {
    if (this.exitedWith === undefined) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    await this.closeLog();
  }

  private closeLog(): Promise<void> {
    return new Promise((r) => (this.log.closed ? r() : this.log.end(() => r())));
  }
}

/** Sums the samples of a counter in Prometheus text whose labels contain every `labels` pair. */
export function counterSum(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const text = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
