import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { testKubeConfig } from '../support/kube-config.js';
import { ClusterTestNamespace, TESTBOX_IMAGE, localContainer } from './cluster-support.js';

// The local cluster as a whole: a Ready node, and controller-manager + scheduler + kubelet
// turning a Deployment into running pods on the pod network.

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const ns = new ClusterTestNamespace(kc, 'cluster-node');

beforeAll(() => ns.create(), 60_000);
afterAll(() => ns.delete(), 90_000);

test('the single node is Ready and runs the pinned kubelet on containerd', async () => {
  const nodes = await core.listNode();
  expect(nodes.items).toHaveLength(1);
  const node = nodes.items[0]!;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  expect(ready?.status).toBe('True');
  expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.34\.\d+$/);
  expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\//);
});

test('a 3-replica Deployment becomes Available with pods on the pod network', async () => {
  const labels = { app: 'smoke' };
  const deployment: V1Deployment = {
    metadata: { name: 'smoke' },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          containers: [localContainer(TESTBOX_IMAGE, ['sleep', '3600'])],
        },
      },
    },
  };
  await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment });

  const deadline = Date.now() + 90_000;
  let current = await apps.readNamespacedDeployment({ name: 'smoke', namespace: ns.name });
  while (current.status?.conditions?.find((c) => c.type === 'Available')?.status !== 'True' || current.status.availableReplicas !== 3) {
    if (Date.now() > deadline) throw new Error(`Deployment not Available after 90 s: ${JSON.stringify(current.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    current = await apps.readNamespacedDeployment({ name: 'smoke', namespace: ns.name });
  }

  const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=smoke' });
  const running = pods.items.filter((p) => p.status?.phase === 'Running');
  expect(running).toHaveLength(3);
  const ips = running.map((p) => p.status?.podIP ?? '');
  for (const ip of ips) expect(ip).toMatch(/^10\.244\.0\.\d+$/);
  expect(new Set(ips).size).toBe(3);
}, 120_000);
