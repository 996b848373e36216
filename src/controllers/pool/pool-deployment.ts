// The Deployment that keeps one Runtime's warm pool: pool pods are sandbox pods exactly like the
// cold path's (same builder, every layer), waiting in `runner idle` for a job through exec.
import { createHash } from 'node:crypto';
import type { V1Deployment, V1ResourceRequirements } from '@kubernetes/client-node';
import { API_VERSION } from '../../crds/common.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import { resolveCompileLimits } from '../coderun/limits.js';
import { sandboxUid } from '../coderun/sandbox-names.js';
import { buildSandboxPodSpec, sandboxResources, uidRangeOf, type SandboxConfig } from '../coderun/sandbox-pod.js';
import { POOL_LABELS, idlePoolLabels, poolDeploymentName } from './pool-labels.js';

export interface PoolRuntime {
  name: string;
  uid: string;
  spec: RuntimeSpec;
}

/**
 * Pool pod resources: sized for the largest run the Runtime allows (its max limits, or the compile
 * step's when larger). The result comes back through exec, not the log, so no log space is
 * needed. `warmPool.resources` overrides single entries (e.g. a smaller memory request, so that
 * many idle pods fit on a node while each may still grow to the max).
 */
export function poolResources(spec: RuntimeSpec, config: SandboxConfig): V1ResourceRequirements {
  const memoryMiB = Math.max(spec.limits.max.memoryMiB, resolveCompileLimits(spec)?.memoryMiB ?? 0);
  const base = sandboxResources({ memoryMiB, logBytes: 0 }, config);
  const override = spec.warmPool?.resources;
  return {
    requests: { ...base.requests, ...override?.requests },
    limits: { ...base.limits, ...override?.limits },
  };
}

function specHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * The desired Deployment, or undefined when the Runtime has no pool (replicas 0 keeps an empty
 * Deployment, so that an autoscaler can scale it back up). The Runtime's warmPool.replicas is the
 * one field that sizes the pool.
 */
export function buildPoolDeployment(runtime: PoolRuntime, config: SandboxConfig): V1Deployment | undefined {
  const pool = runtime.spec.warmPool;
  if (pool === undefined) return undefined;
  const labels = idlePoolLabels(runtime.name);
  const podSpec = buildSandboxPodSpec(
    {
      image: runtime.spec.image,
      runtimeClassName: runtime.spec.runtimeClassName,
      // One uid per pool: the runner counts the uid's other tasks into RLIMIT_NPROC, so pods
      // sharing it keep exact per-run process limits.
      uid: sandboxUid(runtime.uid, uidRangeOf(config)),
      resources: poolResources(runtime.spec, config),
      mode: { kind: 'idle' },
    },
    config,
  );
  const hash = specHash({ labels, podSpec });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: poolDeploymentName(runtime.name),
      namespace: config.namespace,
      labels: { ...labels, [POOL_LABELS.specHash]: hash },
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'Runtime', name: runtime.name, uid: runtime.uid, controller: true }],
    },
    spec: {
      replicas: pool.replicas,
      selector: { matchLabels: labels },
      revisionHistoryLimit: 2,
      // New pods come up before old idle ones go, so the pool never drains during a roll.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { ...labels, [POOL_LABELS.specHash]: hash } },
        spec: podSpec,
      },
    },
  };
}

/** The template hash a Deployment (desired or observed) carries. */
export function poolSpecHashOf(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.metadata?.labels?.[POOL_LABELS.specHash];
}
