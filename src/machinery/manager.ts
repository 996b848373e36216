// Runs the operator's parts, in the spirit of controller-runtime's manager: it owns the HTTP
// server (/metrics, /healthz, /readyz), the leader Lease, the shared informers, and a list of
// runnables. A runnable added with `leaderElection: true` (a controller, a sweep) runs only while
// this replica leads; the others (an admission webhook) run on every replica from run() to stop().
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createObservabilityServer, type ObservabilityServer } from '../observability/http-server.js';
import type { MachineryMetrics } from '../observability/machinery-metrics.js';
import { Controller, type ControllerOptions } from './controller.js';
import type { KubeObjectLike } from './object-key.js';
import { Informer, type InformerOptions } from './informer.js';
import { LeaderElector } from './leader-election.js';

/** A part the manager starts and stops. */
export interface Runnable {
  /** Named in logs. */
  readonly name: string;
  /** Resolves once it runs (workers started, a server listening, a first sweep done). */
  start(): Promise<void>;
  /** Resolves once it stopped. Called once, and only after start() resolved or failed. */
  stop(): Promise<void>;
  /** True when ready, else why not: holds /readyz back (e.g. a webhook still without its certificate). */
  readiness?(): true | string;
}

export interface RunnableOptions {
  /** True: only while this replica holds the Lease (controllers, sweeps). False: on every replica. */
  leaderElection: boolean;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  registry: Registry;
  metrics: MachineryMetrics;
  /** The port of /metrics, /healthz and /readyz (0: any free one). */
  port: number;
  /** Also serve /debug/cpu-profile on that port. */
  profiling?: boolean;
  /** The Lease; undefined: this replica leads from run() on (one replica, tests). */
  leaderElection: { namespace: string; name: string; identity: string } | undefined;
}

export type InformerSpec<T extends KubeObjectLike> = Omit<InformerOptions<T>, 'kubeConfig' | 'metrics' | 'logger'> & { name: string };

/** One term of leadership: the leader-only runnables started so far, stopped once. */
interface Term {
  synced: boolean;
  stop(): Promise<void>;
}

export class Manager {
  readonly server: ObservabilityServer;
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, Informer<KubeObjectLike>>();
  private readonly leaderRunnables: Runnable[] = [];
  private readonly replicaRunnables: Runnable[] = [];
  private readonly replicaStarted: Runnable[] = [];
  private replicasReady = false;
  private term: Term | undefined;
  private elector: LeaderElector | undefined;
  private resolveStopped: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.kubeConfig = options.kubeConfig;
    this.logger = options.logger;
    this.server = createObservabilityServer({
      registry: options.registry,
      port: options.port,
      profiling: options.profiling,
      logger: options.logger,
      readiness: () => {
        if (!this.replicasReady) return { ready: false, message: 'starting' };
        for (const runnable of this.replicaRunnables) {
          const ready = runnable.readiness?.() ?? true;
          if (ready !== true) return { ready: false, message: ready };
        }
        if (this.term === undefined) return { ready: true, message: 'standing by: not the leader' };
        return this.term.synced ? true : { ready: false, message: 'caches are syncing' };
      },
    });
  }

  /**
   * The shared informer of that name, made on first use: controllers watching the same objects
   * share one cache. Informers start when this replica leads, before the leader-only runnables,
   * and stop after them.
   */
  informer<T extends KubeObjectLike>(spec: InformerSpec<T>): Informer<T> {
    const existing = this.informers.get(spec.name);
    if (existing !== undefined) return existing as unknown as Informer<T>;
    const informer = new Informer<T>({ ...spec, kubeConfig: this.options.kubeConfig, metrics: this.options.metrics.informer, logger: this.logger });
    this.informers.set(spec.name, informer as unknown as Informer<KubeObjectLike>);
    return informer;
  }

  /**
   * A leader-only controller with this manager's metrics and logger. `afterStop` runs once its
   * workers stopped (to drop what its reconciles held: execs, sessions).
   */
  addController(options: Omit<ControllerOptions, 'metrics' | 'logger'>, afterStop: () => void = () => {}): Controller {
    const controller = new Controller({ ...options, metrics: this.options.metrics, logger: this.logger });
    this.add(
      {
        name: `controller ${options.name}`,
        start: async () => controller.start(),
        stop: async () => {
          await controller.stop();
          afterStop();
        },
      },
      { leaderElection: true },
    );
    return controller;
  }

  /** Adds a runnable; they start in the order added and stop in reverse. Only before run(). */
  add(runnable: Runnable, options: RunnableOptions): void {
    (options.leaderElection ? this.leaderRunnables : this.replicaRunnables).push(runnable);
  }

  /** Serves, starts the every-replica runnables, then leads (or waits to). Resolves when stopped, or when leadership was lost. */
  async run(): Promise<'stopped' | 'lost'> {
    await this.server.listen();
    this.logger.info({ port: this.server.port }, 'serving /metrics, /healthz and /readyz');
    for (const runnable of this.replicaRunnables) {
      await runnable.start();
      this.replicaStarted.push(runnable);
    }
    this.replicasReady = true;
    const election = this.options.leaderElection;
    if (election === undefined) {
      const stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
      const term = this.lead(new AbortController().signal);
      this.term = term;
      await term.starting;
      await stopped;
      return 'stopped';
    }
    this.elector = new LeaderElector({
      kubeConfig: this.options.kubeConfig,
      ...election,
      metrics: this.options.metrics.leaderElection,
      logger: this.logger,
      onStartedLeading: (signal) => {
        const term = this.lead(signal);
        this.term = term;
        term.starting.catch((err: unknown) => {
          this.logger.fatal({ err }, 'could not start the controllers');
          void this.elector?.stop();
        });
      },
      onStoppedLeading: () => {
        void this.term?.stop();
      },
    });
    const end = await this.elector.run();
    return end === 'lost' ? 'lost' : 'stopped';
  }

  /** Leader-only runnables first, while the Lease is still renewed; then the Lease; then the rest. */
  stop(): Promise<void> {
    // Releasing the Lease first would let the next leader start while this one still reconciles.
    this.stopping ??= (async () => {
      await this.term?.stop();
      await this.elector?.stop();
      this.resolveStopped?.();
      for (const runnable of this.replicaStarted.splice(0).reverse()) await this.stopSafely(runnable);
      await this.server.close();
    })();
    return this.stopping;
  }

  // Starts the informers, then the leader-only runnables in order; publishes the term at once so
  // that /readyz says "syncing" until they all run. Its stop, once, stops what started so far
  // (in reverse), then the informers (which ends a sync still waiting), and a runnable whose
  // start was under way when the stop came is stopped as soon as it started.
  private lead(signal: AbortSignal): Term & { starting: Promise<void> } {
    const started: Runnable[] = [];
    const informers = [...this.informers.values()];
    let stopping: Promise<void> | undefined;
    let startedInformers = false;
    let synced = false;
    const starting = (async () => {
      if (signal.aborted) return;
      startedInformers = true;
      await Promise.all(informers.map((i) => i.start()));
      for (const runnable of this.leaderRunnables) {
        if (stopping !== undefined) return;
        await runnable.start();
        if (stopping !== undefined) {
          await this.stopSafely(runnable);
          return;
        }
        started.push(runnable);
      }
      this.logger.info({ runnables: started.map((r) => r.name) }, 'caches synced; reconciling');
      synced = true;
    })();
    const term: Term & { starting: Promise<void> } = {
      get synced() {
        return synced;
      },
      starting,
      stop: () =>
        (stopping ??= (async () => {
          for (const runnable of started.splice(0).reverse()) await this.stopSafely(runnable);
          if (startedInformers) await Promise.all(informers.map((i) => i.stop()));
          await starting.catch(() => {});
        })()),
    };
    signal.addEventListener('abort', () => void term.stop(), { once: true });
    return term;
  }

  private async stopSafely(runnable: Runnable): Promise<void> {
    try {
      await runnable.stop();
    } catch (err) {
      this.logger.error({ err, runnable: runnable.name }, 'a runnable did not stop cleanly');
    }
  }
}
