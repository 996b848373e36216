// The admission webhook as the operator runs it on every replica: a Runtime cache, the HTTPS
// server, and the certificate keeper on a timer. Ready once it serves with a certificate and
// its cache is synced.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { z } from 'zod';
import { GROUP, ObjectMetaSchema, VERSION } from '../crds/common.js';
import { Informer } from '../machinery/informer.js';
import { collectionPath } from '../machinery/kube-list.js';
import { AccessReviewer } from '../kube/access-review.js';
import { PoolApi } from '../kube/pool-api.js';
import { WebhookApi } from '../kube/webhook-api.js';
import type { WebhookMetrics } from '../observability/webhook-metrics.js';
import { CertificateKeeper } from './certificate-keeper.js';
import { admitCodeRun, admitRuntime } from './decisions.js';
import { WebhookServer } from './server.js';

/** How often every replica checks its certificate and the caBundle (a helm upgrade may reset it). */
const CERTIFICATE_SYNC_MS = 30_000;
const RuntimeObjectSchema = z.looseObject({ metadata: ObjectMetaSchema, spec: z.unknown() });

export interface AdmissionWebhookConfig {
  port: number;
  /** The webhook's Service, "namespace/name": its DNS names go into the certificate. */
  serviceNamespace: string;
  serviceName: string;
  secretName: string;
  configurationName: string;
  manageCertificates: boolean;
}

export interface AdmissionWebhook {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** true, or what it still waits for. */
  readiness(): true | string;
}

export function createAdmissionWebhook(config: AdmissionWebhookConfig, kubeConfig: KubeConfig, metrics: WebhookMetrics, logger: Logger): AdmissionWebhook {
  const log = logger.child({ component: 'webhook' });
  const runtimes = new Informer({
    kubeConfig,
    name: 'webhook-runtimes',
    path: collectionPath({ group: GROUP, version: VERSION, plural: 'runtimes' }),
    schema: RuntimeObjectSchema,
    logger: log,
  });
  const reviewer = new AccessReviewer(kubeConfig);
  const pool = new PoolApi(kubeConfig, config.serviceNamespace);
  const server = new WebhookServer({
    port: config.port,
    metrics,
    logger: log,
    admit: {
      coderuns: (request) =>
        admitCodeRun(request.namespace ?? '', request.object, request.userInfo, {
          // A Runtime created a moment ago may not be cached yet: then a quorum read.
          runtime: async (name) => runtimes.get(name) ?? (await pool.readRuntime(name)),
          mayRead: (user, question) => reviewer.mayRead(user, question),
        }),
      runtimes: (request) => Promise.resolve(admitRuntime(request.object)),
    },
  });
  const { serviceName: svc, serviceNamespace: ns } = config;
  const keeper = new CertificateKeeper({
    api: new WebhookApi(kubeConfig, ns),
    secretName: config.secretName,
    configurationName: config.configurationName,
    dnsNames: [`${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}`, svc],
    manage: config.manageCertificates,
    onCertificate: (certificate) => server.useCertificate(certificate),
    logger: log,
  });
  let timer: NodeJS.Timeout | undefined;
  const sync = () => keeper.sync().catch((err: unknown) => log.warn({ err }, 'could not sync the webhook certificate; retrying'));

  return {
    async start() {
      await runtimes.start();
      await sync();
      timer = setInterval(() => void sync(), CERTIFICATE_SYNC_MS);
      // Until the first certificate, retry sooner: the replicas wait for each other's Secret.
      for (let delay = 1000; !server.serving && timer !== undefined; delay = Math.min(delay * 2, CERTIFICATE_SYNC_MS)) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        await sync();
      }
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await server.close();
      await runtimes.stop();
    },
    readiness() {
      if (!runtimes.hasSynced()) return 'the webhook is syncing its Runtime cache';
      return server.serving ? true : 'the webhook has no certificate yet';
    },
  };
}
