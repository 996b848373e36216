// Helpers for the local-cluster smoke tests: one namespace per test file, pods from the local
// images, and polling on what `kubectl get pod` would show a person.
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, type KubeConfig, type V1Container, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import { eventually } from '../support/eventually.js';

export const TESTBOX_IMAGE = 'coderun.local/testbox:dev';
export const PYTHON_IMAGE = 'coderun.local/python3:dev';
export const GCC_IMAGE = 'coderun.local/gcc:dev';

/** A container from a local image: never pulled (the images exist only in containerd). */
export function localContainer(image: string, command: string[], extra: Partial<V1Container> = {}): V1Container {
  return { name: 'main', image, imagePullPolicy: 'Never', command, ...extra };
}

export function podOf(name: string, container: V1Container, spec: Partial<V1PodSpec> = {}): V1Pod {
  return {
    metadata: { name, labels: { 'coderun.dev/e2e': 'cluster' } },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, containers: [container], ...spec },
  };
}

export class ClusterTestNamespace {
  readonly name: string;
  readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    prefix: string,
  ) {
    this.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async create(): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name: this.name, labels: { 'coderun.dev/e2e': 'cluster' } } } });
    // Pods are refused until the namespace's default ServiceAccount exists.
    await eventually(
      'the default ServiceAccount',
      async () => {
        try {
          await this.core.readNamespacedServiceAccount({ name: 'default', namespace: this.name });
          return true;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return false;
          throw err;
        }
      },
      30_000,
      { intervalMs: 200 },
    );
  }

  async createPod(pod: V1Pod): Promise<V1Pod> {
    return this.core.createNamespacedPod({ namespace: this.name, body: pod });
  }

  readPod(name: string): Promise<V1Pod> {
    return this.core.readNamespacedPod({ name, namespace: this.name });
  }

  /** Polls the pod until `done` holds; the error names the pod's last phase and reason. */
  async waitForPod(name: string, what: string, timeoutMs: number, done: (pod: V1Pod) => boolean): Promise<V1Pod> {
    let last: V1Pod | undefined;
    const lastSeen = () =>
      `: last phase ${last?.status?.phase ?? 'unknown'}, reason ${last?.status?.reason ?? 'none'}, containers ${JSON.stringify(last?.status?.containerStatuses?.map((c) => c.state) ?? [])}`;
    await eventually(
      `pod ${name} ${what}`,
      async () => {
        last = await this.readPod(name);
        return done(last);
      },
      timeoutMs,
      { intervalMs: 200, detail: lastSeen },
    );
    if (!last) throw new Error(`pod ${name} was never read`);
    return last;
  }

  /** Deletes the namespace and waits until it is gone, so no pod outlives its test file. */
  async delete(timeoutMs = 60_000): Promise<void> {
    await this.core.deleteNamespace({ name: this.name, gracePeriodSeconds: 0 });
    await eventually(
      `namespace ${this.name} to be gone`,
      async () => {
        try {
          await this.core.readNamespace({ name: this.name });
          return false;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return true;
          throw err;
        }
      },
      timeoutMs,
      { intervalMs: 200 },
    );
  }

}

export function isRunning(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.containerStatuses ?? []).every((c) => c.state?.running !== undefined);
}

export function hasEnded(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
