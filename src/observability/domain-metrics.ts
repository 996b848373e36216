import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Warm pool pod states reported by coderun_warm_pool_pods (a pool pod not Ready yet is starting). */
export const POOL_POD_STATES = ['starting', 'idle', 'claimed'] as const;
export type PoolPodState = (typeof POOL_POD_STATES)[number];

const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 300, 600];

export interface DomainMetrics {
  /** Finished runs. verdict: the status verdict, or "Invalid" for a spec rejected as invalid. */
  runsTotal: Counter<'runtime' | 'verdict' | 'path'>;
  /** CodeRun created until its pod was created or claimed. */
  runQueueSeconds: Histogram<'runtime' | 'path'>;
  /** Pod created or claimed until the runner started the job. */
  runStartSeconds: Histogram<'runtime' | 'path'>;
  /** Runner started until its result was read. */
  runExecutionSeconds: Histogram<'runtime' | 'path'>;
  /** Warm pool pods per Runtime and state. */
  poolPods: Gauge<'runtime' | 'state'>;
  /** Runs that found an idle warm pod. */
  claimHits: Counter<'runtime'>;
  /** Runs that found none and fell back to the cold path. */
  claimMisses: Counter<'runtime'>;
  /** Claims lost to another claimer (409 on the resourceVersion-guarded label change). */
  claimConflicts: Counter<'runtime'>;
  /** Warm runs by how their exec started: opened ahead in the idle pod, or at claim time. */
  warmExecs: Counter<'runtime' | 'session'>;
}

/** Registers coderun's own metric families on `registry` (call once per registry). */
export function createDomainMetrics(registry: Registry): DomainMetrics {
  const registers = [registry];
  const latency = (name: string, help: string): Histogram<'runtime' | 'path'> =>
    new Histogram({ name, help, labelNames: ['runtime', 'path'], buckets: latencyBuckets, registers });
  return {
    runsTotal: new Counter({
      name: 'coderun_runs_total',
      help: 'Finished CodeRuns by runtime, verdict and path (cold or warm)',
      labelNames: ['runtime', 'verdict', 'path'],
      registers,
    }),
    runQueueSeconds: latency('coderun_run_queue_duration_seconds', 'Time from CodeRun creation until its sandbox pod was created or claimed'),
    runStartSeconds: latency('coderun_run_start_duration_seconds', 'Time from sandbox pod creation or claim until the runner started the job'),
    runExecutionSeconds: latency('coderun_run_execution_duration_seconds', 'Time from the runner starting the job until the result was read'),
    poolPods: new Gauge({
      name: 'coderun_warm_pool_pods',
      help: 'Warm pool pods by runtime and state (starting, idle, claimed)',
      labelNames: ['runtime', 'state'],
      registers,
    }),
    claimHits: new Counter({ name: 'coderun_warm_pool_claim_hits_total', help: 'Runs that claimed an idle warm pool pod', labelNames: ['runtime'], registers }),
    claimMisses: new Counter({
      name: 'coderun_warm_pool_claim_misses_total',
      help: 'Runs that found no idle warm pool pod and took the cold path',
      labelNames: ['runtime'],
      registers,
    }),
    claimConflicts: new Counter({
      name: 'coderun_warm_pool_claim_conflicts_total',
      help: 'Claims of a warm pod lost to a concurrent claimer (resourceVersion conflict)',
      labelNames: ['runtime'],
      registers,
    }),
    warmExecs: new Counter({
      name: 'coderun_warm_exec_total',
      help: 'Warm runs by how the job reached the runner: session="ahead" (an exec opened before the claim, runner already waiting) or "at-claim" (a new exec)',
      labelNames: ['runtime', 'session'],
      registers,
    }),
  };
}
