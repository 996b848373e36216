import { request } from 'node:https';
import { pino } from 'pino';
import { createRegistry } from '../observability/registry.js';
import { createWebhookMetrics } from '../observability/webhook-metrics.js';
import { issueBundle } from './certificates.js';
import { WebhookServer } from './server.js';

const first = issueBundle(['localhost'], new Date());
const second = issueBundle(['localhost'], new Date());

/** POSTs over TLS, trusting only `ca`. */
function post(port: number, path: string, body: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, method: 'POST', ca, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const review = (object: unknown) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', kind: { group: 'coderun.dev', version: 'v1alpha1', kind: 'CodeRun' }, operation: 'CREATE', namespace: 'ns', userInfo: { username: 'alice' }, object },
  });

describe('WebhookServer', () => {
  const registry = createRegistry({ processMetrics: false });
  const server = new WebhookServer({
    port: 0,
    host: '127.0.0.1',
    metrics: createWebhookMetrics(registry),
    logger: pino({ level: 'silent' }),
    admit: {
      coderuns: (req) =>
        Promise.resolve(
          (req.object as { ok?: boolean }).ok ? { allowed: true } : { allowed: false, code: 422, message: `refused for ${req.userInfo.username}` },
        ),
      runtimes: () => Promise.reject(new Error('cache exploded')),
    },
  });
  beforeAll(() => server.useCertificate({ cert: first.cert, key: first.key }));
  afterAll(() => server.close());

  test('answers an AdmissionReview with the decision and the request uid', async () => {
    const allowed = await post(server.port, '/validate/coderuns', review({ ok: true }), first.caCert);
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body)).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true } });
    const refused = JSON.parse((await post(server.port, '/validate/coderuns', review({ ok: false }), first.caCert)).body);
    expect(refused.response).toEqual({ uid: 'u-1', allowed: false, status: { code: 422, message: 'refused for alice' } });
  });

  test('a failing decision refuses with 503 and counts as an error', async () => {
    const answer = JSON.parse((await post(server.port, '/validate/runtimes', review({}), first.caCert)).body);
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status).toEqual({ code: 503, message: 'the coderun webhook could not decide (cache exploded); try again' });
  });

  test('what is not a review gets 400, an unknown path 404', async () => {
    expect((await post(server.port, '/validate/coderuns', '{"kind":"Pod"}', first.caCert)).status).toBe(400);
    expect((await post(server.port, '/validate/coderuns', 'not json', first.caCert)).status).toBe(400);
    expect((await post(server.port, '/mutate/pods', review({}), first.caCert)).status).toBe(404);
  });

  test('counts requests by resource and result', async () => {
    const text = await registry.metrics();
    expect(text).toContain('coderun_webhook_requests_total{resource="coderuns",result="allowed"} 1');
    expect(text).toContain('coderun_webhook_requests_total{resource="coderuns",result="denied"} 1');
    expect(text).toContain('coderun_webhook_requests_total{resource="runtimes",result="error"} 1');
    expect(text).toMatch(/coderun_webhook_request_duration_seconds_count\{resource="coderuns"\} [1-9]/);
  });

  test('a new certificate is served to new connections without a restart', async () => {
    const port = server.port;
    await server.useCertificate({ cert: second.cert, key: second.key });
    expect(server.port).toBe(port);
    await expect(post(port, '/validate/coderuns', review({ ok: true }), first.caCert)).rejects.toThrow();
    expect((await post(port, '/validate/coderuns', review({ ok: true }), second.caCert)).status).toBe(200);
  });
});
