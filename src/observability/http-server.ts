import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { pino, type Logger } from 'pino';
import { CPU_PROFILE_SECONDS, CpuProfiler } from './cpu-profile.js';

/** true/false, or a verdict with a message saying what is not ready yet. */
export type Readiness = boolean | { ready: boolean; message: string };

export interface ObservabilityServerOptions {
  registry: Registry;
  /** 0 picks a free port (tests). Default 8080. */
  port?: number;
  /** Default "0.0.0.0" so Prometheus and the kubelet can reach it in a pod; tests use "127.0.0.1". */
  host?: string;
  /** Answers /readyz; a throw counts as not ready. Default: always ready. */
  readiness?: () => Readiness | Promise<Readiness>;
  logger?: Logger;
  /** Serves GET /debug/cpu-profile?seconds=N (CODERUN_PROFILING). Default false. */
  profiling?: boolean;
}

export interface ObservabilityServer {
  /** The bound port (known after listen). */
  readonly port: number;
  listen(): Promise<number>;
  /** Stops accepting and closes open connections. */
  close(): Promise<void>;
}

/**
 * GET /metrics (Prometheus text format), /healthz (the process answers) and /readyz (from the
 * readiness callback: 200 "ok", or 503 with the reason); with `profiling`, /debug/cpu-profile.
 */
export function createObservabilityServer(options: ObservabilityServerOptions): ObservabilityServer {
  const logger = options.logger ?? pino({ level: 'silent' });
  const profiler = options.profiling === true ? new CpuProfiler() : undefined;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, path: req.url }, 'observability request failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics': {
        const body = await options.registry.metrics();
        send(res, 200, body, options.registry.contentType);
        return;
      }
      case '/healthz':
        send(res, 200, 'ok\n');
        return;
      case '/readyz': {
        const { ready, message } = await readinessOf(options.readiness);
        send(res, ready ? 200 : 503, ready ? 'ok\n' : `not ready: ${message}\n`);
        return;
      }
      case '/debug/cpu-profile':
        if (profiler !== undefined) {
          await serveProfile(profiler, url, req, res);
          return;
        }
        send(res, 404, 'not found: profiling is off (CODERUN_PROFILING=true, chart value config.profiling)\n');
        return;
      default:
        send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
    }
  }

  let port = 0;
  return {
    get port() {
      return port;
    },
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 8080, options.host ?? '0.0.0.0', () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          logger.info({ port, host: options.host ?? '0.0.0.0' }, 'serving /metrics, /healthz and /readyz');
          resolve(port);
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

async function serveProfile(profiler: CpuProfiler, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { min, max } = CPU_PROFILE_SECONDS;
  const seconds = Number(url.searchParams.get('seconds') ?? CPU_PROFILE_SECONDS.default);
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    send(res, 400, `seconds must be a whole number from ${min} to ${max}\n`);
    return;
  }
  const gone = new AbortController();
  req.socket.once('close', () => gone.abort());
  const profile = await profiler.profile(seconds, gone.signal);
  if (profile === undefined) send(res, 409, 'a profile is being taken already: try again when it is done\n');
  else send(res, 200, JSON.stringify(profile), 'application/json');
}

async function readinessOf(check: ObservabilityServerOptions['readiness']): Promise<{ ready: boolean; message: string }> {
  if (!check) return { ready: true, message: '' };
  try {
    const result = await check();
    return typeof result === 'boolean' ? { ready: result, message: result ? '' : 'the readiness check failed' } : result;
  } catch (err) {
    return { ready: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
