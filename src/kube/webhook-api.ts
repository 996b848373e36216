// The webhook's objects: its TLS Secret (read, created, updated under resourceVersion) and the
// caBundle of its ValidatingWebhookConfiguration.
import { AdmissionregistrationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { ignoreNotFound } from './api-errors.js';

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export class WebhookApi {
  private readonly core: CoreV1Api;
  private readonly admission: AdmissionregistrationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  }

  readSecret(name: string): Promise<V1Secret | undefined> {
    return ignoreNotFound(() => this.core.readNamespacedSecret({ name, namespace: this.namespace }));
  }

  async createSecret(secret: V1Secret): Promise<void> {
    await this.core.createNamespacedSecret({ namespace: this.namespace, body: secret });
  }

  /** Fails with 409 when the Secret changed since `secret.metadata.resourceVersion`. */
  async replaceSecret(secret: V1Secret): Promise<void> {
    await this.core.replaceNamespacedSecret({ name: secret.metadata?.name ?? '', namespace: this.namespace, body: secret });
  }

  /** The configuration's uid and the caBundle of each of its webhooks; undefined when it does not exist. */
  async readConfiguration(configuration: string): Promise<{ uid: string; caBundles: string[] } | undefined> {
    const found = await ignoreNotFound(() => this.admission.readValidatingWebhookConfiguration({ name: configuration }));
    if (found === undefined) return undefined;
    return { uid: found.metadata?.uid ?? '', caBundles: (found.webhooks ?? []).map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8')) };
  }

  /** Sets the caBundle of every webhook of the configuration (a JSON patch per index). */
  async setCaBundle(configuration: string, webhookCount: number, caBundle: string): Promise<void> {
    const value = Buffer.from(caBundle).toString('base64');
    const body = Array.from({ length: webhookCount }, (_, i) => ({ op: 'replace', path: `/webhooks/${i}/clientConfig/caBundle`, value }));
    await this.admission.patchValidatingWebhookConfiguration({ name: configuration, body }, jsonPatch);
  }
}
