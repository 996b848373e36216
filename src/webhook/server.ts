// The admission webhook's HTTPS server: POST /validate/coderuns and /validate/runtimes with an
// AdmissionReview. Every replica serves it (not only the leader). It starts once a certificate
// is there and swaps certificates without a restart.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { WebhookMetrics, WebhookResult } from '../observability/webhook-metrics.js';
import { AdmissionReviewSchema, reviewResponse, type AdmissionRequest, type Decision } from './admission-review.js';

/** The API server sends at most about 3 MiB of object; anything larger is not a review. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type Admit = (request: AdmissionRequest) => Promise<Decision>;

export interface WebhookServerOptions {
  port: number;
  host?: string;
  /** One admission function per resource path segment: /validate/<resource>. */
  admit: Record<string, Admit>;
  metrics: WebhookMetrics;
  logger: Logger;
}

export interface ServingCertificate {
  cert: string;
  key: string;
}

export class WebhookServer {
  private server: Server | undefined;
  private current: ServingCertificate | undefined;

  constructor(private readonly options: WebhookServerOptions) {}

  /** Listening with a certificate. */
  get serving(): boolean {
    return this.server?.listening === true;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Starts serving with the first certificate; later calls swap it for new connections. */
  async useCertificate(certificate: ServingCertificate): Promise<void> {
    if (this.current?.cert === certificate.cert && this.current.key === certificate.key) return;
    this.current = certificate;
    if (this.server) {
      this.server.setSecureContext(certificate);
      this.options.logger.info('the webhook serves a new certificate');
      return;
    }
    const server = createServer({ ...certificate, minVersion: 'TLSv1.2' }, (req, res) => void this.handle(req, res));
    server.requestTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.options.logger.info({ port: this.port }, 'serving the admission webhook');
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const resource = /^\/validate\/([a-z]+)$/.exec(new URL(req.url ?? '/', 'https://localhost').pathname)?.[1] ?? '';
    const admit = this.options.admit[resource];
    if (req.method !== 'POST' || admit === undefined) {
      send(res, 404, { message: `not found: POST an AdmissionReview to /validate/{${Object.keys(this.options.admit).join(',')}}` });
      return;
    }
    const end = this.options.metrics.duration.startTimer({ resource });
    const count = (result: WebhookResult) => {
      end();
      this.options.metrics.requests.inc({ resource, result });
    };
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch (err) {
      count('error');
      send(res, 400, { message: `not an AdmissionReview: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const review = AdmissionReviewSchema.safeParse(body);
    if (!review.success) {
      count('error');
      send(res, 400, { message: `not an admission.k8s.io/v1 AdmissionReview: ${review.error.issues[0]?.message ?? ''}` });
      return;
    }
    const request = review.data.request;
    let decision: Decision;
    try {
      decision = await admit(request);
    } catch (err) {
      this.options.logger.error({ err, resource, uid: request.uid }, 'admission failed');
      decision = { allowed: false, code: 503, message: `the coderun webhook could not decide (${err instanceof Error ? err.message : String(err)}); try again` };
    }
    count(decision.allowed ? 'allowed' : decision.code === 503 ? 'error' : 'denied');
    if (!decision.allowed) {
      this.options.logger.info({ resource, namespace: request.namespace, name: request.name, user: request.userInfo.username, message: decision.message }, 'refused at admission');
    }
    send(res, 200, reviewResponse(request.uid, decision));
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
