import { createConnection, createServer, type Server } from 'node:net';
import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, SANDBOX_NAMESPACE, nodeAddress, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator } from '../support/installed-operator.js';

// The sandbox as a hostile program meets it: no network even to the node it runs on, no service
// account token, a read-only root filesystem; and a run deleted while it runs takes its pod with
// it. Traffic goes only to the node's own eth0 address, where this test listens.

const PYTHON_CONNECT = [
  'import errno, socket, sys',
  'host, port = sys.stdin.read().split()',
  'try:',
  '    s = socket.create_connection((host, int(port)), timeout=3)',
  '    print("connected", s.recv(16))',
  'except OSError as e:',
  '    print("connect failed:", errno.errorcode.get(e.errno, type(e).__name__) if e.errno else type(e).__name__)',
  '',
].join('\n');

const C_CONNECT = [
  '#include <arpa/inet.h>',
  '#include <errno.h>',
  '#include <stdio.h>',
  '#include <string.h>',
  '#include <sys/socket.h>',
  'int main(void) {',
  '  char host[64]; int port;',
  '  if (scanf("%63s %d", host, &port) != 2) return 2;',
  '  int fd = socket(AF_INET, SOCK_STREAM, 0);',
  '  if (fd < 0) { printf("connect failed: socket: %s\\n", strerror(errno)); return 0; }',
  '  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(port); inet_pton(AF_INET, host, &a.sin_addr);',
  '  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { printf("connect failed: connect: %s\\n", strerror(errno)); return 0; }',
  '  puts("connected");',
  '  return 0;',
  '}',
  '',
].join('\n');

const NO_TOKEN = [
  'import os',
  'path = "/var/run/secrets/kubernetes.io/serviceaccount"',
  'print("token directory present" if os.path.exists(path) else "no token directory")',
  '',
].join('\n');

const READ_ONLY_ROOT = [
  'import errno',
  'for path in ["/etc/x", "/x"]:',
  '    try:',
  '        with open(path, "w") as f:',
  '            f.write("x")',
  '        print(path, "written")',
  '    except OSError as e:',
  '        print(path, errno.errorcode[e.errno])',
  '# The work directory is the one place meant for writing.',
  'with open("scratch.txt", "w") as f:',
  '    f.write("x")',
  'print("scratch.txt written")',
  '',
].join('\n');

describe('the CodeRun sandbox on the local cluster', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-sandbox');
  const node = nodeAddress();
  let operator: InstalledOperator | undefined;
  let listener: Server | undefined;
  let port = 0;
  let connectionsSeen = 0;
  let results = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    listener = createServer((socket) => {
      connectionsSeen++;
      socket.end('hello\n');
    });
    await new Promise<void>((resolve) => listener?.listen(0, node, resolve));
    const address = listener.address();
    port = typeof address === 'object' && address ? address.port : 0;

    operator = await InstalledOperator.start(kc, { label: 'sandbox' });
    await ns.create();
    const stdin = `${node} ${port}\n`;
    const runs = {
      'connect-node-python': { runtime: 'python3', source: { inline: PYTHON_CONNECT }, stdin },
      'connect-node-c': { runtime: 'c', source: { inline: C_CONNECT }, stdin },
      'no-token': { runtime: 'python3', source: { inline: NO_TOKEN }, tests: [{ name: '1', expectedStdout: 'no token directory\n' }] },
      'read-only-root': { runtime: 'python3', source: { inline: READ_ONLY_ROOT } },
    };
    await Promise.all(Object.entries(runs).map(([name, spec]) => ns.submit(name, spec)));
    results = await ns.waitForTerminal(Object.keys(runs), 120_000, () => operator?.assertRunning());
  }, 360_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
    await tearDown(ns, operator);
  }, 90_000);

  const result = (name: string): ObservedCodeRun => terminalRun(results, name);

  it("a program cannot open a TCP connection to the node's own address, while the node itself can", async () => {
    for (const name of ['connect-node-python', 'connect-node-c']) {
      const { status } = result(name);
      expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
      expect(status.tests?.[0]?.stdout).toMatch(/^connect failed: /);
      expect(status.tests?.[0]?.stdout).not.toMatch(/connected/);
    }
    expect(connectionsSeen).toBe(0);
    // The listener was there all along: a connection from outside the sandbox gets its greeting.
    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: node, port }, () => undefined);
      socket.once('data', (data) => {
        resolve(data.toString());
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(greeting).toBe('hello\n');
    expect(connectionsSeen).toBe(1);
  });

  it('the sandbox pod has no service account token', () => {
    const { status } = result('no-token');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
    expect(status.tests?.[0]?.stdout).toBe('no token directory\n');
  });

  it('the root filesystem is read-only; the work directory is writable', () => {
    const { status } = result('read-only-root');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
    expect(status.tests?.[0]?.stdout).toBe('/etc/x EROFS\n/x EROFS\nscratch.txt written\n');
  });

  it('deleting a running CodeRun removes its sandbox pod', async () => {
    const submitted = await ns.submit('deleted-while-running', {
      runtime: 'python3',
      source: { inline: 'import time\nprint("started", flush=True)\ntime.sleep(60)\n' },
      limits: { wallTimeMillis: 30000 },
    });
    const running = await ns.waitForRun('deleted-while-running', 'phase Running with a pod', (r) => r.status.phase === 'Running' && r.status.podName !== undefined, 60_000);
    const podName = running.status.podName ?? '';
    await eventually(`sandbox pod ${podName} running`, async () => {
      const pod = await ns.core.readNamespacedPod({ name: podName, namespace: SANDBOX_NAMESPACE });
      return pod.status?.phase === 'Running';
    }, 60_000);
    const before = await ns.sandboxObjectsOfRun(submitted.uid);
    expect(before.pods.map((p) => p.metadata?.name)).toEqual([podName]);
    // The job reached the runner through the exec's stdin: no ConfigMap (or file) holds it.
    expect(before.configMaps).toEqual([]);

    // Gone within 15 s: long before the program's 30 s wall limit could have ended the run.
    await ns.delete('deleted-while-running');
    await eventually('the CodeRun is gone (its finalizer released)', async () => (await ns.get('deleted-while-running')) === undefined, 15_000);
    await eventually('its sandbox pod is gone', async () => {
      const left = await ns.sandboxObjectsOfRun(submitted.uid);
      return left.pods.length === 0 && left.configMaps.length === 0;
    }, 15_000);
  }, 150_000);
});
