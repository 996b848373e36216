import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { LeaderElectionMetrics } from '../observability/machinery-metrics.js';
import { realClock, sleep, type Clock } from './clock.js';
import { decideLease, timingProblem } from './lease-decision.js';
import { connectionPerRequest } from '../kube/kube-config.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  /** Namespace and name of the coordination.k8s.io/v1 Lease. */
  namespace: string;
  name: string;
  /** Unique per replica. Default: hostname plus a random suffix. */
  identity?: string;
  /** How long a lease holds without renewal before others may take it. Default 15. */
  leaseDurationSeconds?: number;
  /** The leader gives up when it could not renew for this long. Default 10. */
  renewDeadlineSeconds?: number;
  /** Time between attempts to acquire or renew. Default 2. */
  retryPeriodSeconds?: number;
  /**
   * Called once this replica holds the lease: start the controllers here. `signal` aborts when
   * leadership ends.
   */
  onStartedLeading: (signal: AbortSignal) => void;
  /**
   * Called once when leadership ends, lost or released. After a loss (not requested through
   * stop()) the process must stop reconciling at once; controller-runtime exits the process.
   */
  onStoppedLeading: () => void;
  /** Called when another (or this) replica is seen holding the lease. */
  onNewLeader?: (identity: string) => void;
  /** Give the lease up on stop() so another replica takes over without waiting. Default true. */
  releaseOnStop?: boolean;
  metrics?: LeaderElectionMetrics;
  logger?: Logger;
  clock?: Clock;
}

export type LeadershipEnd = 'stopped' | 'lost' | 'never-led';

/**
 * Leader election on a Lease, as client-go's leaderelection package does it: every write is a
 * create or an update guarded by the resourceVersion last read, so of two replicas racing for a
 * free lease exactly one wins (the other gets 409 Conflict).
 */
export class LeaderElector {
  readonly identity: string;
  private readonly options: LeaderElectionOptions;
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopSignal = new AbortController();
  private leading = false;
  private lastLease: V1Lease | undefined;
  private observedVersion: string | undefined;
  private observedAt = 0;
  private knownLeader = '';
  private running: Promise<LeadershipEnd> | undefined;

  constructor(options: LeaderElectionOptions) {
    const timing = {
      leaseDurationSeconds: options.leaseDurationSeconds ?? 15,
      renewDeadlineSeconds: options.renewDeadlineSeconds ?? 10,
      retryPeriodSeconds: options.retryPeriodSeconds ?? 2,
    };
    const problem = timingProblem(timing);
    if (problem) throw new Error(`leader election for lease ${options.namespace}/${options.name}: ${problem}`);
    this.options = options;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    // Renewals on connections of their own: one stuck on a dead shared connection would lose the lease.
    this.api = connectionPerRequest(options.kubeConfig).makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ lease: `${options.namespace}/${options.name}`, identity: this.identity });
    this.leaseDurationSeconds = timing.leaseDurationSeconds;
    this.renewDeadlineMs = timing.renewDeadlineSeconds * 1000;
    this.retryPeriodMs = timing.retryPeriodSeconds * 1000;
    options.metrics?.masterStatus.set({ name: options.name }, 0);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Acquires the lease (retrying until stop()), leads while renewals succeed, and resolves how
   * leadership ended: 'lost' (renewals failed for renewDeadlineSeconds), 'stopped' (stop() while
   * leading), or 'never-led' (stop() before acquiring).
   */
  run(): Promise<LeadershipEnd> {
    this.running ??= this.runOnce();
    return this.running;
  }

  /** Stops acquiring and renewing, releases the lease when leading, and waits for run() to end. */
  async stop(): Promise<LeadershipEnd | undefined> {
    this.stopSignal.abort();
    return this.running;
  }

  private async runOnce(): Promise<LeadershipEnd> {
    if (!(await this.acquire())) return 'never-led';
    const leadership = new AbortController();
    this.leading = true;
    this.options.metrics?.masterStatus.set({ name: this.options.name }, 1);
    this.logger.info('became leader');
    this.callSafely('onStartedLeading', () => this.options.onStartedLeading(leadership.signal));
    const end = await this.renewUntilLostOrStopped();
    this.leading = false;
    leadership.abort();
    this.options.metrics?.masterStatus.set({ name: this.options.name }, 0);
    if (end === 'stopped' && (this.options.releaseOnStop ?? true)) await this.release();
    this.logger.info({ end }, end === 'lost' ? 'leadership lost' : 'stopped leading');
    this.callSafely('onStoppedLeading', () => this.options.onStoppedLeading());
    return end;
  }

  private async acquire(): Promise<boolean> {
    const stop = this.stopSignal.signal;
    while (!stop.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      // client-go's JitterUntil with factor 1.2, so replicas do not retry in lockstep.
      await sleep(this.clock, this.retryPeriodMs * (1 + Math.random() * 1.2), stop);
    }
    return false;
  }

  private async renewUntilLostOrStopped(): Promise<'lost' | 'stopped'> {
    const stop = this.stopSignal.signal;
    let lastRenew = this.clock.now();
    while (!stop.aborted) {
      await sleep(this.clock, this.retryPeriodMs, stop);
      if (stop.aborted) break;
      const remaining = lastRenew + this.renewDeadlineMs - this.clock.now();
      const renewed = remaining > 0 && (await this.withDeadline(this.tryAcquireOrRenew(), remaining));
      if (renewed) {
        lastRenew = this.clock.now();
        continue;
      }
      if (this.clock.now() - lastRenew >= this.renewDeadlineMs) return 'lost';
    }
    return 'stopped';
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name } = this.options;
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (!isStatus(err, 404)) {
        this.logger.warn({ err }, 'reading the lease failed');
        return false;
      }
    }
    const now = this.clock.now();
    if (lease?.metadata?.resourceVersion !== this.observedVersion) {
      this.observedVersion = lease?.metadata?.resourceVersion;
      this.observedAt = now;
    }
    this.noteLeader(lease?.spec?.holderIdentity ?? '');
    const decision = decideLease({
      lease: lease?.spec ?? (lease ? {} : undefined),
      identity: this.identity,
      now,
      observedAt: this.observedAt,
      leaseDurationSeconds: this.leaseDurationSeconds,
    });
    if (decision.action === 'wait') return false;
    const stamp = new V1MicroTime(now);
    try {
      let written: V1Lease;
      if (decision.action === 'create') {
        written = await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: this.identity, leaseDurationSeconds: this.leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 },
          },
        });
      } else {
        const current = lease as V1Lease;
        written = await this.api.replaceNamespacedLease({
          namespace,
          name,
          body: {
            ...current,
            spec: {
              ...current.spec,
              holderIdentity: this.identity,
              leaseDurationSeconds: this.leaseDurationSeconds,
              acquireTime: decision.takeover ? stamp : current.spec?.acquireTime,
              renewTime: stamp,
              leaseTransitions: decision.leaseTransitions,
            },
          },
        });
      }
      this.lastLease = written;
      this.observedVersion = written.metadata?.resourceVersion;
      this.observedAt = this.clock.now();
      this.noteLeader(this.identity);
      return true;
    } catch (err) {
      // 409: another replica wrote the lease since we read it; it won this round.
      if (!isStatus(err, 409)) this.logger.warn({ err, action: decision.action }, 'writing the lease failed');
      return false;
    }
  }

  /** Gives the lease up (holder cleared, 1 s duration) so the next replica need not wait. */
  private async release(): Promise<void> {
    const lease = this.lastLease;
    if (!lease?.metadata) return;
    try {
      const current = await this.api.readNamespacedLease({ namespace: this.options.namespace, name: this.options.name });
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = new V1MicroTime(this.clock.now());
      await this.api.replaceNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
        body: {
          ...current,
          spec: { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.spec.leaseTransitions ?? 0 },
        },
      });
      this.logger.info('released the lease');
    } catch (err) {
      this.logger.warn({ err }, 'releasing the lease failed; others take over once it expires');
    }
  }

  private noteLeader(holder: string): void {
    if (holder === this.knownLeader) return;
    this.knownLeader = holder;
    if (holder === '') return;
    this.logger.info({ leader: holder }, 'new leader observed');
    this.callSafely('onNewLeader', () => this.options.onNewLeader?.(holder));
  }

  private async withDeadline(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimer(ms, () => resolve(false));
    });
    const result = await Promise.race([attempt, timeout]);
    timer?.cancel();
    return result;
  }

  private callSafely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err }, `${what} callback threw`);
    }
  }
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}
