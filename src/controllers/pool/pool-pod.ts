// A Runtime's pool pod template: pool pods are sandbox pods exactly like the cold path's (same
// builder, every layer), waiting in `runner idle` for a job through exec. Each pod gets a uid of
// its own, so the template is everything but the uid, and its hash labels the pods made from it.
import { createHash } from 'node:crypto';
import type { V1OwnerReference, V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { API_VERSION } from '../../crds/common.js';
import { RuntimeSpecSchema, type RuntimeSpec } from '../../crds/runtime.js';
import { resolveCompileLimits } from '../../sandbox/limits.js';
import { buildSandboxPodSpec, sandboxResources, type SandboxConfig } from '../../sandbox/pod.js';
import { POOL_LABELS, idlePoolLabels } from '../../sandbox/pool-labels.js';

/** A Runtime as the caches hold it: checked loosely, the spec is parsed here. */
export interface ObservedRuntime {
  metadata: { name?: string; uid?: string };
  spec: unknown;
  status?: unknown;
}

/** An idle pod's CPU request: its runner only waits, and a node should hold many idle pods. */
const IDLE_CPU_REQUEST = '10m';
/** An idle pod's memory request on top of the runner's overhead: the runner binary's page cache, the waiting exec. */
const IDLE_MEMORY_MARGIN_MIB = 16;

/** The largest memory limit of any run the Runtime allows: its max, or its compile step's when larger. */
function poolMemoryMiB(spec: RuntimeSpec): number {
  return Math.max(spec.limits.max.memoryMiB, resolveCompileLimits(spec)?.memoryMiB ?? 0);
}

/**
 * Pool pod resources. Limits fit the largest run the Runtime allows, sized as on the cold path.
 * Requests are what an idle pod uses, so that a node holds many idle pods: the memory between
 * request and limit is overcommitted (a claimed pod may use it; under node memory pressure the
 * kubelet evicts the pods furthest above their requests first). `warmPool.resources` overrides
 * single entries; a limit it sets without the matching request gets Kubernetes' default request,
 * the limit itself, so that a default request never exceeds a lowered limit.
 */
export function poolResources(spec: RuntimeSpec, config: SandboxConfig): V1ResourceRequirements {
  const base = sandboxResources(poolMemoryMiB(spec), config);
  const override = spec.warmPool?.resources;
  const limits = { ...base.limits, ...override?.limits };
  const requests: Record<string, string> = { ...base.requests, cpu: IDLE_CPU_REQUEST, memory: `${config.runnerOverheadMiB + IDLE_MEMORY_MARGIN_MIB}Mi` };
  for (const [name, quantity] of Object.entries(override?.limits ?? {})) requests[name] = quantity;
  return { requests: { ...requests, ...override?.requests }, limits };
}

/** An unclaimed pool pod's owner: it goes with its Runtime. */
export function runtimeOwnerReference(name: string, uid: string): V1OwnerReference {
  return { apiVersion: API_VERSION, kind: 'Runtime', name, uid, controller: true };
}

/** What a Runtime's pool should be: its size and the template of its pods. */
export interface PoolTemplate {
  replicas: number;
  /** Runs one pod may serve (warmPool.runsPerPod, default 1); not part of the hash. */
  runsPerPod: number;
  /** The Runtime's uid, its pods' owner. */
  runtimeUid: string;
  /** The hash of the pod template (label `coderun.dev/pool-spec`): a new hash rolls the pool. */
  hash: string;
  /** A pool pod of this template, named `name`, whose processes run as `uid`. */
  pod(name: string, uid: number): V1Pod;
}

/** Stands in for the per-pod uid in the hashed template: the uid is not part of the template. */
const TEMPLATE_UID = 0;

/**
 * The pool of a cached Runtime; undefined when it has no valid spec or no warmPool (replicas 0
 * keeps a pool of no pods, so that an autoscaler can scale it back up). A new image, new
 * resources, a new runtimeClassName or new operator settings of sandbox pods change the hash;
 * replicas and the Runtime's commands (given through exec) do not.
 */
export function poolTemplateOf(runtime: ObservedRuntime | undefined, config: SandboxConfig): PoolTemplate | undefined {
  const name = runtime?.metadata.name;
  const uid = runtime?.metadata.uid;
  const parsed = RuntimeSpecSchema.safeParse(runtime?.spec);
  const pool = parsed.success ? parsed.data.warmPool : undefined;
  if (name === undefined || uid === undefined || !parsed.success || pool === undefined) return undefined;
  const spec = parsed.data;
  const labels = idlePoolLabels(name);
  const resources = poolResources(spec, config);
  const memoryMiB = poolMemoryMiB(spec);
  const podSpec = (uid: number) =>
    buildSandboxPodSpec({ image: spec.image, runtimeClassName: spec.runtimeClassName, uid, resources, memoryMiB, mode: { kind: 'idle' } }, config);
  const hash = createHash('sha256')
    .update(JSON.stringify({ labels, podSpec: podSpec(TEMPLATE_UID) }))
    .digest('hex')
    .slice(0, 16);
  return {
    replicas: pool.replicas,
    runsPerPod: pool.runsPerPod ?? 1,
    runtimeUid: uid,
    hash,
    pod: (podName, podUid) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: config.namespace,
        labels: { ...labels, [POOL_LABELS.specHash]: hash },
        // Unclaimed pods go with their Runtime even while no operator runs (uninstall); a claim
        // removes the reference, so that a claimed pod stays with its run.
        ownerReferences: [runtimeOwnerReference(name, uid)],
      },
      spec: podSpec(podUid),
    }),
  };
}

/** The template hash of the pool pods a run of this Runtime may claim; undefined when it has no pool. */
export function poolTemplateHash(runtime: ObservedRuntime | undefined, config: SandboxConfig): string | undefined {
  return poolTemplateOf(runtime, config)?.hash;
}
