import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { V1Pod } from '@kubernetes/client-node';
import { NamespaceLabels } from './namespace-label.js';
import { ReadyOnce } from './pool-readiness.js';

/** Warm pool pod states reported by coderun_warm_pool_pods (a pool pod not Ready yet is starting). */
export const POOL_POD_STATES = ['starting', 'idle', 'claimed'] as const;
export type PoolPodState = (typeof POOL_POD_STATES)[number];

/** A live run as the gauges count it: Pending (no sandbox pod yet: queued) or Running (in one), since when. */
export interface ActiveRun {
  namespace: string;
  runtime: string;
  phase: 'Pending' | 'Running';
  since: Date;
}

/** Namespaces that get a label of their own on per-course metrics (see NamespaceLabels). */
export const DEFAULT_NAMESPACE_LABEL_LIMIT = 100;

const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 300, 600];
const stageBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/**
 * The stages of a run as the operator sees it, in order. warm: its key queued for the reconcile
 * that claims (its informer event, for a run claimed at once) → that reconcile began (queue) → pod
 * claimed (claim) → job sent (record; the Running record is written while the job runs) → job
 * sent until result read (execution) → the
 * finishing reconcile began (pickup) → verdict judged (judging) → terminal status written
 * (write). cold: queue, then from the pod's creation (with Running written) until the job
 * was sent (podStart), then as warm.
 */
export const RUN_STAGES = ['queue', 'claim', 'record', 'podStart', 'execution', 'pickup', 'judging', 'write'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export interface DomainMetrics {
  /** Finished runs. verdict: the status verdict, or "Invalid" for a spec rejected as invalid. */
  runsTotal: Counter<'runtime' | 'verdict' | 'path'>;
  /** CodeRun created until its pod was created or claimed. */
  runQueueSeconds: Histogram<'runtime' | 'path'>;
  /** Pod created or claimed until the runner started the job. */
  runStartSeconds: Histogram<'runtime' | 'path'>;
  /** Runner started until its result was read. */
  runExecutionSeconds: Histogram<'runtime' | 'path'>;
  /**
   * Where a run's time goes, stage by stage (RUN_STAGES): the stages of one path add up to its
   * run duration. Fine buckets: a warm run's stages take milliseconds.
   */
  runStageSeconds: Histogram<'path' | 'stage'>;
  /** Warm pool pods per Runtime and state. */
  poolPods: Gauge<'runtime' | 'state'>;
  /** Runs that found an idle warm pod. */
  claimHits: Counter<'runtime'>;
  /** Runs that found none and fell back to the cold path. */
  claimMisses: Counter<'runtime'>;
  /** Used pool pods that went back to the pool (warmPool.runsPerPod above 1) instead of being deleted. */
  podReuses: Counter<'runtime'>;
  /** Claims lost to another claimer (409 on the resourceVersion-guarded label change). */
  claimConflicts: Counter<'runtime'>;
  /** Warm runs by how their exec started: opened ahead in the idle pod, or at claim time. */
  warmExecs: Counter<'runtime' | 'session'>;
  /** CodeRun created until its terminal status was written: what the judge's users wait. */
  runDurationSeconds: Histogram<'runtime' | 'path'>;
  /** Finished runs per course: namespace (bounded, see namespaceLabel) and phase. */
  namespaceRunsTotal: Counter<'namespace' | 'phase'>;
  /** Runs that ended in SystemError, by the kind of platform failure. */
  systemErrors: Counter<'runtime' | 'cause'>;
  /** Attempts beyond the first: a fresh pod after a platform failure. */
  retries: Counter<'runtime' | 'cause'>;
  /** A warm pool pod's creation until it was Ready: how long the pool takes to refill a slot. */
  poolPodReadySeconds: Histogram<'runtime'>;
  /**
   * Called for each Runtime the operator reconciles: starts the Runtime's series at 0, so that
   * the first runs after a start show in rate() (a series born with its first count has no
   * increase), and observes the ready time of its pool pods that became Ready since the last
   * call. `poolPods`: undefined when the Runtime has no pool.
   */
  observeRuntime(runtime: string, poolPods: readonly V1Pod[] | undefined): void;
  /** The bounded `namespace` label value for a namespace. */
  namespaceLabel(namespace: string): string;
  /** Reports the runs `list` returns at each scrape (coderun_runs_active); the result stops it. */
  trackActiveRuns(list: () => Iterable<ActiveRun>): () => void;
}

export interface DomainMetricsOptions {
  /** Namespaces with a label of their own; the rest are "_other". */
  namespaceLabelLimit?: number;
  /** The `cause` values of SystemErrors and retries, started at 0 for each Runtime. */
  failureCauses?: readonly string[];
}

/** Registers coderun's own metric families on `registry` (call once per registry). */
export function createDomainMetrics(registry: Registry, options: DomainMetricsOptions = {}): DomainMetrics {
  const registers = [registry];
  const namespaces = new NamespaceLabels(options.namespaceLabelLimit ?? DEFAULT_NAMESPACE_LABEL_LIMIT);
  let activeRuns: (() => Iterable<ActiveRun>) | undefined;
  const readyOnce = new ReadyOnce();
  const started = new Set<string>();
  const startedPools = new Set<string>();
  new Gauge({
    name: 'coderun_runs_active',
    help: 'Runs not yet finished, by runtime and phase: Pending (queued: no sandbox pod yet) or Running (in a pod). Reported by the leader',
    labelNames: ['runtime', 'phase'],
    registers,
    collect() {
      this.reset();
      for (const run of activeRuns?.() ?? []) this.inc({ runtime: run.runtime, phase: run.phase });
    },
  });
  new Gauge({
    name: 'coderun_runs_oldest_active_seconds',
    help: 'Age of the oldest unfinished run by runtime and phase: since creation (Pending) or since it started (Running). Reported by the leader',
    labelNames: ['runtime', 'phase'],
    registers,
    collect() {
      this.reset();
      const oldest = new Map<string, ActiveRun>();
      for (const run of activeRuns?.() ?? []) {
        const key = `${run.runtime}/${run.phase}`;
        const seen = oldest.get(key);
        if (seen === undefined || run.since < seen.since) oldest.set(key, run);
      }
      const at = Date.now();
      for (const run of oldest.values()) this.set({ runtime: run.runtime, phase: run.phase }, Math.max(0, (at - run.since.getTime()) / 1000));
    },
  });
  new Gauge({
    name: 'coderun_namespace_runs_active',
    help: 'Runs not yet finished per course: namespace (the first N namespaces seen, the rest "_other") and phase. Reported by the leader',
    labelNames: ['namespace', 'phase'],
    registers,
    collect() {
      this.reset();
      for (const run of activeRuns?.() ?? []) this.inc({ namespace: namespaces.label(run.namespace), phase: run.phase });
    },
  });
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
    runStageSeconds: new Histogram({
      name: 'coderun_run_stage_duration_seconds',
      help: 'Time a run spent in each stage, from its key queued for the reconcile that starts it to its terminal status written (warm: queue, claim, record, execution, pickup, judging, write; cold: queue, podStart, execution, pickup, judging, write)',
      labelNames: ['path', 'stage'],
      buckets: stageBuckets,
      registers,
    }),
    poolPods: new Gauge({
      name: 'coderun_warm_pool_pods',
      help: 'Warm pool pods by runtime and state (starting, idle, claimed)',
      labelNames: ['runtime', 'state'],
      registers,
    }),
    claimHits: new Counter({ name: 'coderun_warm_pool_claim_hits_total', help: 'Runs that claimed an idle warm pool pod', labelNames: ['runtime'], registers }),
    podReuses: new Counter({
      name: 'coderun_warm_pool_pod_reuses_total',
      help: 'Used warm pool pods returned to the pool for another run (warmPool.runsPerPod above 1)',
      labelNames: ['runtime'],
      registers,
    }),
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
    runDurationSeconds: latency('coderun_run_duration_seconds', 'Time from CodeRun creation until its terminal status was written (end to end), by runtime and path'),
    namespaceRunsTotal: new Counter({
      name: 'coderun_namespace_runs_total',
      help: 'Finished CodeRuns per course: namespace (the first N namespaces seen, the rest "_other") and phase (Completed or Failed)',
      labelNames: ['namespace', 'phase'],
      registers,
    }),
    systemErrors: new Counter({
      name: 'coderun_system_errors_total',
      help: 'Runs that ended in SystemError by cause (PodStartFailed, PodStartTimeout, PodLost, RunnerFailed, AttemptLost, InputsLost)',
      labelNames: ['runtime', 'cause'],
      registers,
    }),
    retries: new Counter({
      name: 'coderun_run_retries_total',
      help: 'Attempts beyond the first, started in a fresh pod after a platform failure, by cause',
      labelNames: ['runtime', 'cause'],
      registers,
    }),
    observeRuntime(runtime, poolPods) {
      // Once each: zero() empties a series that has counts.
      if (!started.has(runtime)) {
        started.add(runtime);
        for (const path of ['cold', 'warm'] as const) {
          for (const histogram of [this.runQueueSeconds, this.runStartSeconds, this.runExecutionSeconds, this.runDurationSeconds]) histogram.zero({ runtime, path });
        }
        for (const cause of options.failureCauses ?? []) {
          this.systemErrors.inc({ runtime, cause }, 0);
          this.retries.inc({ runtime, cause }, 0);
        }
      }
      if (poolPods === undefined) return;
      if (!startedPools.has(runtime)) {
        startedPools.add(runtime);
        this.claimHits.inc({ runtime }, 0);
        this.claimMisses.inc({ runtime }, 0);
        this.poolPodReadySeconds.zero({ runtime });
      }
      for (const seconds of readyOnce.newlyReady(runtime, poolPods)) this.poolPodReadySeconds.observe({ runtime }, seconds);
    },
    poolPodReadySeconds: new Histogram({
      name: 'coderun_warm_pool_pod_ready_duration_seconds',
      help: 'Time from a warm pool pod\'s creation until it was Ready to be claimed (the refill time of one pool slot)',
      labelNames: ['runtime'],
      buckets: latencyBuckets,
      registers,
    }),
    namespaceLabel: (namespace) => namespaces.label(namespace),
    trackActiveRuns(list) {
      activeRuns = list;
      return () => {
        if (activeRuns === list) activeRuns = undefined;
      };
    },
  };
}

