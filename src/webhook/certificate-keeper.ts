// Keeps the webhook's certificate: every replica runs one. With `manage` (no cert-manager) it
// creates the TLS Secret when missing and renews it when due, under the Secret's resourceVersion
// so that replicas racing to renew converge on one bundle; and it keeps the caBundle of the
// ValidatingWebhookConfiguration equal to what the Secret's CA needs. Without `manage`
// (cert-manager issues the Secret and injects the caBundle) it only reads the Secret.
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { statusCode } from '../kube/api-errors.js';
import type { WebhookApi } from '../kube/webhook-api.js';
import { caBundleOf, issueBundle, renewalNeeded, type CertificateBundle } from './certificates.js';
import type { ServingCertificate } from './server.js';

export interface CertificateKeeperOptions {
  api: WebhookApi;
  secretName: string;
  /** The ValidatingWebhookConfiguration whose caBundle is kept (with `manage`). */
  configurationName: string;
  /** The Service's DNS names the serving certificate must carry. */
  dnsNames: string[];
  manage: boolean;
  /** Called with the Secret's serving certificate whenever it changes. */
  onCertificate(certificate: ServingCertificate): Promise<void>;
  logger: Logger;
  now?: () => Date;
}

const text = (secret: V1Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

function bundleOf(secret: V1Secret | undefined): Partial<CertificateBundle> {
  return { caCert: text(secret, 'ca.crt'), caKey: text(secret, 'ca.key'), cert: text(secret, 'tls.crt'), key: text(secret, 'tls.key') };
}

/** The Secret goes with its webhook configuration: deleting that (helm uninstall) deletes it. */
interface Owner {
  name: string;
  uid: string;
}

function secretOf(name: string, bundle: CertificateBundle, previous: V1Secret | undefined, caBundle: string, owner: Owner | undefined): V1Secret {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name,
      ...(previous?.metadata?.resourceVersion ? { resourceVersion: previous.metadata.resourceVersion } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'coderun-operator', 'app.kubernetes.io/component': 'webhook' },
      ...(owner ? { ownerReferences: [{ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', ...owner }] } : {}),
    },
    // ca-bundle.crt: the caBundle to trust (this CA and the previous one during a rotation).
    data: { 'tls.crt': b64(bundle.cert), 'tls.key': b64(bundle.key), 'ca.crt': b64(bundle.caCert), 'ca.key': b64(bundle.caKey), 'ca-bundle.crt': b64(caBundle) },
  };
}

export class CertificateKeeper {
  constructor(private readonly options: CertificateKeeperOptions) {}

  /** One pass: the Secret right, the caBundle right, the server on the Secret's certificate. */
  async sync(): Promise<void> {
    const { api, secretName, manage } = this.options;
    let secret = await api.readSecret(secretName);
    const configuration = manage ? await api.readConfiguration(this.options.configurationName) : undefined;
    if (manage) secret = await this.renewIfDue(secret, configuration && { name: this.options.configurationName, uid: configuration.uid });
    const bundle = bundleOf(secret);
    if (!bundle.cert || !bundle.key) throw new Error(`the Secret ${secretName} has no tls.crt and tls.key yet`);
    if (manage) await this.keepCaBundle(configuration?.caBundles, text(secret, 'ca-bundle.crt') ?? bundle.caCert ?? '');
    await this.options.onCertificate({ cert: bundle.cert, key: bundle.key });
  }

  private async renewIfDue(secret: V1Secret | undefined, owner: Owner | undefined): Promise<V1Secret | undefined> {
    const { api, secretName, dnsNames, logger } = this.options;
    const now = this.options.now?.() ?? new Date();
    const current = bundleOf(secret);
    const due = renewalNeeded(current, dnsNames, now);
    if (due === 'none') return secret;
    const ca = due === 'serving' && current.caCert && current.caKey ? { caCert: current.caCert, caKey: current.caKey } : undefined;
    const bundle = issueBundle(dnsNames, now, ca);
    const caBundle = caBundleOf(bundle.caCert, text(secret, 'ca-bundle.crt') ?? current.caCert, now);
    const next = secretOf(secretName, bundle, secret, caBundle, owner);
    try {
      if (secret === undefined) await api.createSecret(next);
      else await api.replaceSecret(next);
      logger.info({ secret: secretName, renewed: due === 'all' ? 'the CA and the serving certificate' : 'the serving certificate' }, 'issued webhook certificates');
    } catch (err) {
      // Another replica wrote first: take what it wrote.
      if (statusCode(err) !== 409) throw err;
    }
    return api.readSecret(secretName);
  }

  private async keepCaBundle(bundles: string[] | undefined, caBundle: string): Promise<void> {
    const { api, configurationName, logger } = this.options;
    if (bundles === undefined) {
      logger.warn({ configuration: configurationName }, 'no ValidatingWebhookConfiguration to keep the caBundle of');
      return;
    }
    if (bundles.every((b) => b === caBundle)) return;
    await api.setCaBundle(configurationName, bundles.length, caBundle);
    logger.info({ configuration: configurationName }, 'updated the webhook caBundle');
  }
}
