import { CoreV1Api, NetworkingV1Api, type V1NetworkPolicy, type V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { execExitCode, PodExec } from '../../src/kube/pod-exec.js';
import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { nodeAddress } from '../support/coderun-e2e.js';

// NetworkPolicy on the live local cluster: a client pod connects to a server pod and to a
// listener on the node's own address; a default-deny policy must stop both, and allow policies
// must reopen exactly the allowed path. Traffic stays on this machine (pod IPs, the node's eth0).

const image = 'coderun.local/testbox:dev';
const serverPort = 8080;

function testPod(name: string, labels: Record<string, string>, command: string[], probePort?: number): V1Pod {
  // A TCP readiness probe comes from the kubelet on the node: it must keep passing under policy.
  const readinessProbe = probePort ? { tcpSocket: { port: probePort }, periodSeconds: 1, failureThreshold: 2 } : undefined;
  return {
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'Never',
          command,
          readinessProbe,
          ports: probePort ? [{ name: 'http', containerPort: probePort, protocol: 'TCP' }] : undefined,
        },
      ],
    },
  };
}

async function podReady(core: CoreV1Api, namespace: string, name: string): Promise<boolean> {
  const pod = await core.readNamespacedPod({ name, namespace });
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function policy(name: string, spec: V1NetworkPolicy['spec']): V1NetworkPolicy {
  return { metadata: { name }, spec };
}

describe('NetworkPolicy enforcement on the local cluster', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const podExec = new PodExec(kc);
  const namespace = `netpol-e2e-${randomBytes(3).toString('hex')}`;
  const node = nodeAddress();
  let hostListener: Server;
  let hostPort = 0;
  let serverIP = '';

  /**
   * One TCP connection attempt from the client pod: true when the listener's "ok" came back, false
   * when the connection was refused or timed out. Anything else (nc missing, exec broken) throws,
   * so a broken probe can never pass for a blocked connection.
   */
  async function clientReaches(address: string, port: number): Promise<boolean> {
    const r = await podExec.run({
      namespace,
      pod: 'client',
      container: 'main',
      command: ['nc', '-w', '3', address, String(port)],
      stdin: Buffer.alloc(0),
      timeoutMs: 15_000,
    });
    const [exitCode, stdout, stderr] = [execExitCode(r.status), r.stdout.toString(), r.stderr.toString()];
    if (exitCode === 0 && stdout.trim() === 'ok') return true;
    if (exitCode !== 0 && /can't connect|refused|timed out|timeout/i.test(stderr)) return false;
    throw new Error(`nc ${address} ${port} in the client pod failed unexpectedly (exit ${exitCode}): ${stdout}${stderr}`);
  }

  beforeAll(async () => {
    hostListener = createServer((socket) => socket.end('ok\n'));
    await new Promise<void>((resolve) => hostListener.listen(0, node, resolve));
    const address = hostListener.address();
    hostPort = typeof address === 'object' && address ? address.port : 0;

    await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'coderun.dev/e2e': 'networkpolicy' } } } });
    await core.createNamespacedPod({
      namespace,
      body: testPod('server', { app: 'server' }, ['nc', '-ll', '-p', String(serverPort), '-e', 'echo', 'ok'], serverPort),
    });
    await core.createNamespacedPod({ namespace, body: testPod('client', { role: 'client' }, ['sleep', '3600']) });
    await eventually('server and client pods Running', async () => {
      const pods = await core.listNamespacedPod({ namespace });
      return pods.items.length === 2 && pods.items.every((p) => p.status?.phase === 'Running' && p.status.podIP);
    }, 120_000);
    const server = await core.readNamespacedPod({ name: 'server', namespace });
    serverIP = server.status?.podIP ?? '';
  }, 180_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (hostListener ? hostListener.close(() => resolve()) : resolve()));
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('without a policy the client reaches the server pod and the node', async () => {
    await eventually(`client reaches server ${serverIP}:${serverPort}`, () => clientReaches(serverIP, serverPort));
    await eventually(`client reaches the node ${node}:${hostPort}`, () => clientReaches(node, hostPort));
    await eventually('server pod Ready (kubelet probe passes)', () => podReady(core, namespace, 'server'));
  }, 90_000);

  it('a default-deny policy stops pod-to-pod and pod-to-node connections, not node-to-pod probes', async () => {
    await networking.createNamespacedNetworkPolicy({
      namespace,
      body: policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    });
    await eventually('client blocked from the server', async () => !(await clientReaches(serverIP, serverPort)));
    await eventually('client blocked from the node', async () => !(await clientReaches(node, hostPort)));
    // A few probe periods later: still blocked, and the kubelet's probes from the node still pass.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await clientReaches(serverIP, serverPort)).toBe(false);
    expect(await clientReaches(node, hostPort)).toBe(false);
    expect(await podReady(core, namespace, 'server')).toBe(true);
  }, 90_000);

  it('allow policies reopen exactly the allowed path', async () => {
    await networking.createNamespacedNetworkPolicy({
      namespace,
      body: policy('server-from-client', {
        podSelector: { matchLabels: { app: 'server' } },
        policyTypes: ['Ingress'],
        // A named port: resolved by the enforcer to the server container's port 8080.
        ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
      }),
    });
    await networking.createNamespacedNetworkPolicy({
      namespace,
      body: policy('client-to-server', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'server' } } }], ports: [{ protocol: 'TCP', port: serverPort }] }],
      }),
    });
    await eventually('client reaches the server through the allow policies', () => clientReaches(serverIP, serverPort));
    expect(await clientReaches(node, hostPort)).toBe(false);
  }, 90_000);
});
