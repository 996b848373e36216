// Prometheus and promtool as the monitoring tests use them: built from their Go module
// (hack/prometheus-bin/build.sh, cached; a test fails, never skips, when they cannot be built),
// the server on loopback with its data in a directory of this process.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ROOT } from './helm.js';

/** A first build takes about 6.5 minutes on 2 busy cores (module downloads included); a cached one milliseconds. */
export const PROMETHEUS_BUILD_TIMEOUT_MS = 30 * 60_000;

export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

/** Builds both binaries if the cache lacks them. */
export function buildPrometheus(): PrometheusBinaries {
  const dir = execFileSync('bash', [join(ROOT, 'hack/prometheus-bin/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { prometheus: join(dir, 'prometheus'), promtool: join(dir, 'promtool') };
}

/** Runs promtool; resolves with its exit code and its whole output (stdout and stderr). */
export function promtool(binaries: PrometheusBinaries, args: string[], cwd: string): { code: number; output: string } {
  try {
    const output = execFileSync(binaries.promtool, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return { code: 0, output };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const SampleValue = z.tuple([z.number(), z.string()]);
/** Vector and matrix answers (the tests ask nothing else). */
const QueryResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.enum(['vector', 'matrix']),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: SampleValue.optional(), values: z.array(SampleValue).optional() })),
  }),
});
export interface Series {
  metric: Record<string, string>;
  /** The samples: one for an instant query, every step for a range query. */
  values: number[];
}

const ErrorResponse = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A real Prometheus server on 127.0.0.1 with the given configuration (an object written as YAML). */
export class PrometheusServer {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
  }

  static async start(binaries: PrometheusBinaries, config: Record<string, unknown>): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'coderun-prometheus-'));
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      binaries.prometheus,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${server.output}`);
      const ready = await fetch(`${server.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return server;
      if (Date.now() > deadline) throw new Error(`prometheus not ready after 60 s:\n${server.output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** What the server logged (the last 20 kB), for failure messages. */
  log(): string {
    return this.output;
  }

  async api(path: string, params: Record<string, string>): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
    const body: unknown = await response.json();
    const error = ErrorResponse.safeParse(body);
    if (error.success) throw new Error(`${path} ${JSON.stringify(params)}: ${error.data.errorType}: ${error.data.error}`);
    return body;
  }

  /** An instant PromQL query: one value a series. */
  async query(expr: string): Promise<Series[]> {
    return seriesOf(await this.api('/api/v1/query', { query: expr }));
  }

  /** A range PromQL query over [start, end] (ms since the epoch). */
  async queryRange(expr: string, startMs: number, endMs: number, stepSeconds: number): Promise<Series[]> {
    return seriesOf(await this.api('/api/v1/query_range', { query: expr, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSeconds) }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function seriesOf(body: unknown): Series[] {
  return QueryResponse.parse(body).data.result.map((r) => ({
    metric: r.metric,
    values: (r.values ?? (r.value ? [r.value] : [])).map(([, v]) => Number(v)),
  }));
}
