import { CoreV1Api, type V1Pod, type V1ResourceRequirements } from '@kubernetes/client-node';
import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import { PoolRuntime, isReady } from './warm-support.js';

// A pool rolls to a new pod template on a node with no room for a single extra pool pod: the pool
// takes most of the node's allocatable memory, so a rollout that starts new pods before removing
// old ones (a Deployment with maxUnavailable 0) would wait forever. The old template's idle and
// starting pods must go first; a run in a claimed pod of the old template finishes in it.

const REPLICAS = 3;
const ROLL_BOUND_MS = 150_000;
const suffix = Math.random().toString(16).slice(2, 8);
const SPEC_HASH = 'coderun.dev/pool-spec';
const MiB = 1024 * 1024;

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Bytes of a memory quantity ("24488932Ki", "64Mi", "1G", "128974848"). */
function bytesOf(quantity: string | undefined): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(quantity ?? '0');
  const unit = UNITS[match?.[2] ?? ''];
  if (match === null || unit === undefined) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * unit;
}

const memoryRequest = (r: V1ResourceRequirements | undefined): number => bytesOf(r?.requests?.memory);

/** What the scheduler counts for a pod: its containers' requests, or its largest init container's when larger. */
function podMemoryRequest(pod: V1Pod): number {
  const spec = pod.spec;
  const containers = (spec?.containers ?? []).reduce((sum, c) => sum + memoryRequest(c.resources), 0);
  const init = Math.max(0, ...(spec?.initContainers ?? []).map((c) => memoryRequest(c.resources)));
  return Math.max(containers, init) + bytesOf(spec?.overhead?.memory);
}

describe('a warm pool on a full node', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-rollout');
  const runtime = new PoolRuntime(kc, `e2e-rollout-${suffix}`);
  let operator: InstalledOperator | undefined;

  /** The memory no pod on the node has requested yet, in bytes. */
  async function freeMemory(): Promise<number> {
    const nodes = (await core.listNode()).items;
    expect(nodes).toHaveLength(1);
    const node = nodes[0]!;
    const pods = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node.metadata?.name ?? ''}` })).items;
    const requested = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').reduce((sum, p) => sum + podMemoryRequest(p), 0);
    return bytesOf(node.status?.allocatable?.memory) - requested;
  }

  beforeAll(async () => {
    await ensureInstalled(kc);
    operator = await InstalledOperator.start(kc, { label: 'warm-rollout' });
    await ns.create();
  }, 120_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await runtime.delete();
    }
  }, 120_000);

  it('rolls to new resources when no extra pod fits: old idle pods go first, a claimed one finishes its run', async () => {
    // Pods of 1/3.5 of the free memory: three fit, a fourth does not.
    const podMiB = Math.floor((await freeMemory()) / (REPLICAS + 0.5) / MiB);
    const sized = (mebibytes: number) => ({ replicas: REPLICAS, resources: { requests: { memory: `${mebibytes}Mi` }, limits: { memory: `${mebibytes}Mi` } } });
    await runtime.createFrom('python3', sized(podMiB));
    await eventually('a full pool of ready idle pods', async () => (await runtime.status())?.pool?.idle === REPLICAS, 120_000);
    // No room for one pod of the new template next to the old ones.
    expect(await freeMemory()).toBeLessThan((podMiB - 1) * MiB);
    const oldHash = (await runtime.pods())[0]?.metadata?.labels?.[SPEC_HASH];

    // A run holds one old pod through the roll; its replacement cannot be scheduled meanwhile.
    await ns.submit('through-the-roll', { runtime: runtime.name, limits: { wallTimeMillis: 15_000 }, source: { inline: 'import time\ntime.sleep(10)\nprint("done")\n' } });
    const running = await ns.waitForRun('through-the-roll', 'running on the warm path', (r) => r.status.phase === 'Running' && r.status.path === 'warm', 30_000);
    const claimedPod = running.status.podName!;

    const rolledAt = Date.now();
    await runtime.patchSpec({ warmPool: sized(podMiB - 1) });
    const done = await ns.waitForOne('through-the-roll', 60_000);
    expect(done.status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path: 'warm', podName: claimedPod });
    expect(done.status.tests?.[0]?.stdout).toBe('done\n');

    await eventually(
      `the whole pool on the new template and Ready within ${ROLL_BOUND_MS / 1000} s`,
      async () => {
        const pods = await runtime.pods();
        return pods.length === REPLICAS && pods.every((p) => p.metadata?.labels?.[SPEC_HASH] !== oldHash && isReady(p));
      },
      ROLL_BOUND_MS - (Date.now() - rolledAt),
    );
    for (const pod of await runtime.pods()) expect(pod.spec?.containers[0]?.resources?.requests?.memory).toBe(`${podMiB - 1}Mi`);
    await eventually('status.pool to count the new pods', async () => {
      const pool = (await runtime.status())?.pool;
      return pool?.desired === REPLICAS && pool.ready === REPLICAS && pool.idle === REPLICAS;
    }, 15_000);

    // Frees the node for the suites after this one.
    await runtime.delete();
    await eventually('the pool to be gone with its Runtime', async () => (await runtime.pods()).length === 0, 60_000);
  }, 400_000);
});
