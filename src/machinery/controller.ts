import { pino, type Logger } from 'pino';
import { withRequestSignal } from '../kube/request-signal.js';
import type { MachineryMetrics } from '../observability/machinery-metrics.js';
import { realClock, type Clock } from './clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

/**
 * What a reconcile asks for next. Nothing (or `{}`): done until the next event. `requeueAfterMs`:
 * look again after that delay (a timeout or a poll), without counting as a failure. `requeue`:
 * look again with the per-key backoff, without logging an error.
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborted when shutdown's grace period ends with this reconcile still running. */
  signal: AbortSignal;
  /** When the key was added to the queue for this reconcile (an event, a requeue); default: now. */
  queuedAt?: Date;
}

/**
 * Brings the object named by `key` ("namespace/name", or "name" for cluster-scoped objects) to
 * its desired state. Level-triggered and idempotent: it may run any number of times per key.
 * A thrown error means "retry with backoff"; a terminal problem (an invalid spec) belongs in the
 * object's status, after which the reconcile returns normally.
 */
export type Reconcile = (key: string, context: ReconcileContext) => Promise<ReconcileResult | void>;

const reconcileOutcomes = ['success', 'error', 'requeue', 'requeue_after'] as const;
export type ReconcileOutcome = (typeof reconcileOutcomes)[number];

export interface ControllerOptions {
  /** The `controller` label of controller_runtime_* metrics and the queue's `name`. */
  name: string;
  reconcile: Reconcile;
  /** Concurrent reconciles (controller-runtime's MaxConcurrentReconciles). Default 1. */
  workers?: number;
  metrics?: MachineryMetrics;
  logger?: Logger;
  clock?: Clock;
  rateLimiter?: RateLimiter<string>;
}

/**
 * N workers taking keys from one WorkQueue (sample-controller's processNextWorkItem): get a key,
 * reconcile it, forget it or add it back as the result says, and always mark it done. The queue
 * guarantees one key is never reconciled by two workers at once.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly workers: number;
  private readonly reconcile: Reconcile;
  private readonly metrics: MachineryMetrics | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private started = false;

  constructor(options: ControllerOptions) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new Error(`controller ${options.name}: workers must be a positive integer, got ${workers}`);
    }
    this.name = options.name;
    this.workers = workers;
    this.reconcile = options.reconcile;
    this.metrics = options.metrics;
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ controller: options.name });
    this.queue = new WorkQueue({
      name: options.name,
      clock: this.clock,
      rateLimiter: options.rateLimiter,
      metrics: options.metrics?.workQueue,
    });
  }

  /** Starts the workers. Keys may be added to `queue` before or after. */
  start(): void {
    if (this.started) throw new Error(`controller ${this.name} already started`);
    this.started = true;
    const labels = { controller: this.name };
    this.metrics?.controller.maxConcurrentReconciles.set(labels, this.workers);
    this.metrics?.controller.activeWorkers.set(labels, 0);
    // Series exist from the start, as in controller-runtime, so rate() works before the first error.
    for (const result of reconcileOutcomes) this.metrics?.controller.reconcileTotal.inc({ ...labels, result }, 0);
    this.metrics?.controller.reconcileErrors.inc(labels, 0);
    this.logger.info({ workers: this.workers }, 'starting workers');
    for (let i = 0; i < this.workers; i++) this.loops.push(this.runWorker());
  }

  /**
   * Stops taking keys and waits up to `timeoutMs` for running reconciles to finish; past that,
   * their AbortSignal fires. Resolves true when every reconcile finished within the bound.
   */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    const drained = await this.queue.shutDownWithDrain(timeoutMs);
    if (!drained) {
      this.logger.warn({ stillRunning: this.queue.processingCount(), timeoutMs }, 'reconciles still running at shutdown: aborting them');
      this.abort.abort(new Error(`controller ${this.name} shut down`));
      return false;
    }
    await Promise.all(this.loops);
    this.logger.info('all workers finished');
    return true;
  }

  private async runWorker(): Promise<void> {
    while (await this.processNextWorkItem());
  }

  /** One turn of a worker; false once the queue is shut down. */
  async processNextWorkItem(): Promise<boolean> {
    const key = await this.queue.get();
    if (key === undefined) return false;
    const labels = { controller: this.name };
    this.metrics?.controller.activeWorkers.inc(labels);
    const started = this.clock.now();
    let outcome: ReconcileOutcome;
    try {
      const signal = this.abort.signal;
      const queuedAt = new Date(this.queue.queuedAt(key) ?? started);
      const result = (await withRequestSignal(signal, () => this.reconcile(key, { signal, queuedAt }))) ?? {};
      outcome = this.applyResult(key, result);
    } catch (err) {
      outcome = 'error';
      this.queue.addRateLimited(key);
      this.metrics?.controller.reconcileErrors.inc(labels);
      this.logger.error({ err, key, requeues: this.queue.numRequeues(key) }, 'reconcile failed; retrying with backoff');
    } finally {
      this.metrics?.controller.reconcileTime.observe(labels, (this.clock.now() - started) / 1000);
      this.metrics?.controller.activeWorkers.dec(labels);
      this.queue.done(key);
    }
    this.metrics?.controller.reconcileTotal.inc({ ...labels, result: outcome });
    return true;
  }

  private applyResult(key: string, result: ReconcileResult): ReconcileOutcome {
    if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
      this.queue.forget(key);
      this.queue.addAfter(key, result.requeueAfterMs);
      return 'requeue_after';
    }
    if (result.requeue) {
      this.queue.addRateLimited(key);
      return 'requeue';
    }
    this.queue.forget(key);
    return 'success';
  }
}
