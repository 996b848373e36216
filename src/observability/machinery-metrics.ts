import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// Metric names and buckets are controller-runtime's (pkg/metrics, pkg/internal/controller/metrics,
// client-go workqueue and leaderelection), so dashboards and alerts written for Go operators work.

const workQueueBuckets = exponentialBuckets(10e-9, 10, 12);
const reconcileTimeBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0,
  2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** What a live work queue reports at scrape time. */
export interface WorkQueueProbe {
  unfinishedWorkSeconds(): number;
  longestRunningProcessorSeconds(): number;
}

export interface WorkQueueMetrics {
  depth: Gauge<'name'>;
  adds: Counter<'name'>;
  queueDuration: Histogram<'name'>;
  workDuration: Histogram<'name'>;
  retries: Counter<'name'>;
  /** Reports the probe's values under `name` until the returned function is called. */
  track(name: string, probe: WorkQueueProbe): () => void;
}

export interface ControllerMetrics {
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  activeWorkers: Gauge<'controller'>;
  maxConcurrentReconciles: Gauge<'controller'>;
}

export interface LeaderElectionMetrics {
  /** 1 while this process holds the lease `name`, else 0. */
  masterStatus: Gauge<'name'>;
}

export interface InformerMetrics {
  restarts: Counter<'informer' | 'reason'>;
  objects: Gauge<'informer'>;
}

export interface MachineryMetrics {
  workQueue: WorkQueueMetrics;
  controller: ControllerMetrics;
  leaderElection: LeaderElectionMetrics;
  informer: InformerMetrics;
}

/** Registers every generic controller metric family on `registry` (call once per registry). */
export function createMachineryMetrics(registry: Registry): MachineryMetrics {
  const registers = [registry];
  const probes = new Map<string, Set<WorkQueueProbe>>();
  const sum = (name: string, f: (p: WorkQueueProbe) => number, combine: (a: number, b: number) => number): number =>
    [...(probes.get(name) ?? [])].map(f).reduce(combine, 0);

  const workQueue: WorkQueueMetrics = {
    depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers }),
    adds: new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers }),
    queueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: workQueueBuckets,
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: workQueueBuckets,
      registers,
    }),
    retries: new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers }),
    track(name, probe) {
      let set = probes.get(name);
      if (!set) probes.set(name, (set = new Set()));
      set.add(probe);
      return () => {
        set.delete(probe);
        if (set.size > 0) return;
        probes.delete(name);
        unfinished.remove({ name });
        longest.remove({ name });
      };
    },
  };
  const unfinished = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help:
      'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads.',
    labelNames: ['name'],
    registers,
    collect() {
      for (const name of probes.keys()) this.set({ name }, sum(name, (p) => p.unfinishedWorkSeconds(), (a, b) => a + b));
    },
  });
  const longest = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name'],
    registers,
    collect() {
      for (const name of probes.keys()) this.set({ name }, sum(name, (p) => p.longestRunningProcessorSeconds(), Math.max));
    },
  });

  const controller: ControllerMetrics = {
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: reconcileTimeBuckets,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    }),
  };

  const leaderElection: LeaderElectionMetrics = {
    masterStatus: new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. \'name\' is the string used to identify the lease.',
      labelNames: ['name'],
      registers,
    }),
  };

  const informer: InformerMetrics = {
    restarts: new Counter({
      name: 'coderun_informer_restarts_total',
      help: 'Times an informer started a fresh list and watch, by reason (error: the watch or list failed; relist: periodic safety relist)',
      labelNames: ['informer', 'reason'],
      registers,
    }),
    objects: new Gauge({
      name: 'coderun_informer_objects',
      help: 'Objects currently held in the informer cache',
      labelNames: ['informer'],
      registers,
    }),
  };

  return { workQueue, controller, leaderElection, informer };
}

function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start * factor ** i).toPrecision(12)));
}
