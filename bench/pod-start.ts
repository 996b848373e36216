// Pod start latency on the local cluster: time from the create call to the moment a watch
// shows the pod Running, for one pod at a time and for 20 pods created at once.
//
//   npm run bench:pod-start [-- --single-rounds N --burst-size N --burst-rounds N]
//
// Brings the cluster up (hack/cluster/up.sh, quick when it is up), runs in its own namespace,
// deletes it afterwards, prints a summary and writes bench/results/pod-start.json.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiException, CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { kubeConfigFromFile } from '../src/kube/kube-config.js';
import { z } from 'zod';
import { summarize, type LatencySummary } from './pod-start-stats.js';

const root = resolve(import.meta.dirname, '..');
const IMAGE = 'coderun.local/testbox:dev';

const options = z
  .object({
    singleRounds: z.coerce.number().int().min(1).max(100),
    burstSize: z.coerce.number().int().min(1).max(100),
    burstRounds: z.coerce.number().int().min(1).max(20),
  })
  .parse(
    (() => {
      const { values } = parseArgs({
        options: {
          'single-rounds': { type: 'string', default: '10' },
          'burst-size': { type: 'string', default: '20' },
          'burst-rounds': { type: 'string', default: '3' },
        },
      });
      return { singleRounds: values['single-rounds'], burstSize: values['burst-size'], burstRounds: values['burst-rounds'] };
    })(),
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function benchPod(name: string): V1Pod {
  // Shaped like a coderun sandbox pod: local image, small limits, no token, no grace period.
  return {
    metadata: { name, labels: { 'coderun.dev/bench': 'pod-start' } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      containers: [
        {
          name: 'main',
          image: IMAGE,
          imagePullPolicy: 'Never',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
        },
      ],
    },
  };
}

/** Watches the namespace and resolves, per pod name, the time it was first seen Running. */
class RunningWatcher {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private abort: AbortController | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    this.abort = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      {},
      (_type: string, pod: V1Pod) => {
        const name = pod.metadata?.name;
        if (!name || pod.status?.phase !== 'Running' || this.seen.has(name)) return;
        const at = performance.now();
        this.seen.set(name, at);
        this.waiters.get(name)?.(at);
      },
      (err: unknown) => {
        if (err && !this.abort?.signal.aborted) console.error('pod watch ended:', err);
      },
    );
  }

  runningAt(name: string, timeoutMs: number): Promise<number> {
    const at = this.seen.get(name);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolveAt, reject) => {
      const timer = setTimeout(() => reject(new Error(`pod ${name} was not Running within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(name, (t) => {
        clearTimeout(timer);
        resolveAt(t);
      });
    });
  }

  stop(): void {
    this.abort?.abort();
  }
}

async function startPods(core: CoreV1Api, watcher: RunningWatcher, namespace: string, names: string[]): Promise<number[]> {
  return Promise.all(
    names.map(async (name) => {
      const createdAt = performance.now();
      await core.createNamespacedPod({ namespace, body: benchPod(name) });
      return (await watcher.runningAt(name, 120_000)) - createdAt;
    }),
  );
}

async function deleteAllPods(core: CoreV1Api, namespace: string): Promise<void> {
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
  for (;;) {
    const left = await core.listNamespacedPod({ namespace });
    if (left.items.length === 0) return;
    await sleep(250);
  }
}

async function main(): Promise<void> {
  // Other work on the machine slows pod starts: the load average says how busy it was.
  const loadAtStart = loadavg()[0];
  execFileSync('bash', [resolve(root, 'hack/cluster/up.sh')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  const kc = kubeConfigFromFile(resolve(root, '.cluster/kubeconfig'));
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `bench-pod-start-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const watcher = new RunningWatcher(kc, namespace);
  try {
    for (;;) {
      try {
        await core.readNamespacedServiceAccount({ name: 'default', namespace });
        break;
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
        await sleep(100);
      }
    }
    await watcher.start();

    const single: number[] = [];
    for (let round = 0; round < options.singleRounds; round++) {
      const [latency] = await startPods(core, watcher, namespace, [`single-${round}`]);
      single.push(latency!);
      await deleteAllPods(core, namespace);
    }

    const burst: number[] = [];
    for (let round = 0; round < options.burstRounds; round++) {
      const names = Array.from({ length: options.burstSize }, (_, i) => `burst-${round}-${i}`);
      burst.push(...(await startPods(core, watcher, namespace, names)));
      await deleteAllPods(core, namespace);
    }

    const nodes = await core.listNode();
    const nodeInfo = nodes.items[0]?.status?.nodeInfo;
    const round = (s: LatencySummary) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.round(v)]));
    const result = {
      measured: new Date().toISOString(),
      command: 'npm run bench:pod-start',
      what: 'create call -> pod phase Running seen by a watch; image coderun.local/testbox:dev (local, never pulled)',
      machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0] },
      cluster: { kubelet: nodeInfo?.kubeletVersion, runtime: nodeInfo?.containerRuntimeVersion, kernel: nodeInfo?.kernelVersion },
      onePodAtATime: { rounds: options.singleRounds, ...round(summarize(single)) },
      podsCreatedAtOnce: { podsPerRound: options.burstSize, rounds: options.burstRounds, ...round(summarize(burst)) },
    };
    mkdirSync(resolve(root, 'bench/results'), { recursive: true });
    writeFileSync(resolve(root, 'bench/results/pod-start.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    watcher.stop();
    await core.deleteNamespace({ name: namespace, gracePeriodSeconds: 0 });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
