import { makeInformer, type Informer as ClientInformer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import type { InformerMetrics } from '../observability/machinery-metrics.js';
import { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
import { InformerCache, type CacheChange } from './informer-cache.js';
import { listCollection } from './kube-list.js';
import type { KubeObjectLike } from './object-key.js';
import { connectionPerRequest } from '../kube/kube-config.js';

/** What to do when objects come and go. Handlers should only enqueue keys (see event-handlers). */
export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObjectLike> {
  kubeConfig: KubeConfig;
  /** The collection path, from collectionPath(): "/api/v1/namespaces/ns/pods", "/apis/g/v/plural". */
  path: string;
  /** Parses each object. Objects it rejects are kept out of the cache (and logged). */
  schema: z.ZodType<T>;
  /** Applied to the list and to the watch alike. */
  labelSelector?: string;
  /** Names this informer in logs and metrics. Default: the path. */
  name?: string;
  /** A fresh list and watch this often, in case the watch stalled silently. Default 5 min. */
  relistIntervalMs?: number;
  /** Backoff between restarts after errors: doubles from initialMs up to maxMs. Default 500 ms..30 s. */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** start() gives up when no list succeeded within this time. Default 60 s. */
  syncTimeoutMs?: number;
  metrics?: InformerMetrics;
  logger?: Logger;
  clock?: Clock;
}

const connected = Symbol('connected');
const superseded = Symbol('superseded');

/** Connecting one underlying client informer; its events are ignored once `generation` moves on. */
interface Generation {
  id: number;
  informer: ClientInformer<KubernetesObject> & ObjectCache<KubernetesObject>;
  connectedAt: number;
}

/**
 * A self-healing, typed informer over the client's makeInformer:
 * - start() resolves after the first successful list (retrying with backoff until syncTimeoutMs);
 * - after ANY error (the client's informer stops on everything but 410 Gone) it starts a fresh
 *   list and watch with backoff; objects deleted meanwhile produce delete events;
 * - every relistIntervalMs it relists anyway, the safety net for a silently stalled watch;
 * - the label selector goes to both list and watch; objects are parsed by the caller's schema;
 * - the cache (get by key, list by namespace) keeps serving the last known state during restarts.
 */
export class Informer<T extends KubeObjectLike> {
  readonly name: string;
  private readonly options: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly cache = new InformerCache<T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly relistIntervalMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private current: Generation | undefined;
  private nextId = 0;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private synced = false;
  private running = false;
  private readonly stopSignal = new AbortController();

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.name = options.name ?? options.path;
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ informer: this.name });
    this.relistIntervalMs = options.relistIntervalMs ?? 5 * 60_000;
    this.backoff = options.restartBackoff ?? { initialMs: 500, maxMs: 30_000 };
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /** The cached object with key "namespace/name" (or "name" when cluster-scoped). */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** Every cached object, or those of one namespace. */
  list(namespace?: string): T[] {
    return this.cache.list(namespace);
  }

  /** True once the first list has been applied to the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Lists, starts watching, and resolves when the cache holds the first list. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`informer ${this.name} already started`);
    this.running = true;
    const deadline = this.clock.now() + (this.options.syncTimeoutMs ?? 60_000);
    for (;;) {
      const error = await this.connect();
      if (this.stopSignal.signal.aborted) throw new Error(`informer ${this.name} stopped before its first list`);
      if (error === connected) {
        this.synced = true;
        this.scheduleRelist();
        return;
      }
      if (this.clock.now() >= deadline) {
        await this.stop();
        throw new Error(`informer ${this.name}: could not list ${this.options.path}: ${describe(error)}`, { cause: error });
      }
      this.logger.warn({ err: error }, 'first list failed; retrying');
      await sleep(this.clock, this.nextBackoff(), this.stopSignal.signal);
    }
  }

  /** Stops watching. The cache keeps its last state. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    this.timer?.cancel();
    const generation = this.current;
    this.current = undefined;
    await generation?.informer.stop();
  }

  /** Starts a fresh list and watch now (what errors and the relist timer do); call after start(). */
  async restart(reason: string): Promise<void> {
    if (this.stopSignal.signal.aborted) return;
    this.timer?.cancel();
    this.options.metrics?.restarts.inc({ informer: this.name, reason });
    const error = await this.connect();
    if (this.stopSignal.signal.aborted || error === superseded) return;
    if (error === connected) {
      this.scheduleRelist();
      return;
    }
    this.logger.warn({ err: error }, 'restart failed; retrying with backoff');
    this.scheduleRestart('error', this.nextBackoff());
  }

  /**
   * One generation: a new client informer whose first list replaces the cache's view. Resolves
   * `connected` once it lists and watches, `superseded` when a newer generation or stop() took
   * over meanwhile, or the error that ended it before it was up.
   */
  private async connect(): Promise<unknown> {
    const previous = this.current;
    const id = ++this.nextId;
    await previous?.informer.stop();
    if (this.stopSignal.signal.aborted) return superseded;
    const { path, labelSelector } = this.options;
    // Lists and watches on connections of their own: a relist is the safety net for a connection
    // gone silently dead, so it must not queue behind a shared one.
    const kubeConfig = connectionPerRequest(this.options.kubeConfig);
    const informer = makeInformer<KubernetesObject>(
      kubeConfig,
      path,
      async () => {
        const list = await listCollection(kubeConfig, path, labelSelector);
        return { metadata: { resourceVersion: list.resourceVersion }, items: list.items };
      },
      labelSelector,
    );
    const generation: Generation = { id, informer, connectedAt: this.clock.now() };
    this.current = generation;
    let upYet = false;
    let startupError: unknown;
    const live = (): boolean => this.current?.id === id && !this.stopSignal.signal.aborted;
    informer.on('add', (raw) => live() && this.apply(raw));
    informer.on('update', (raw) => live() && this.apply(raw));
    informer.on('delete', (raw) => live() && this.applyDelete(raw));
    informer.on('error', (err: unknown) => {
      if (!live()) return;
      if (!upYet) {
        startupError ??= err ?? new Error('unknown error');
        return;
      }
      this.onWatchError(generation, err);
    });
    try {
      await informer.start();
    } catch (err) {
      startupError ??= err;
    }
    if (!live()) return superseded;
    if (startupError !== undefined) {
      await informer.stop();
      return startupError;
    }
    upYet = true;
    const present = new Set(informer.list().map(safeKey));
    this.emit(this.cache.retainOnly(present));
    this.logger.debug({ objects: this.cache.size() }, 'listed and watching');
    return connected;
  }

  private onWatchError(generation: Generation, err: unknown): void {
    // A generation that stayed up for a while was healthy: start the backoff from the bottom.
    if (this.clock.now() - generation.connectedAt >= this.backoff.maxMs) this.failures = 0;
    const delay = this.nextBackoff();
    this.logger.warn({ err, restartInMs: delay }, 'watch failed; starting a fresh list and watch');
    this.scheduleRestart('error', delay);
  }

  private scheduleRestart(reason: string, delayMs: number): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimer(delayMs, () => void this.restart(reason));
  }

  private scheduleRelist(): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimer(this.relistIntervalMs, () => void this.restart('relist'));
  }

  private nextBackoff(): number {
    const delay = Math.min(this.backoff.initialMs * 2 ** this.failures, this.backoff.maxMs);
    this.failures++;
    return delay;
  }

  private apply(raw: KubernetesObject): void {
    const parsed = this.options.schema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn({ object: safeKey(raw), problem: z.prettifyError(parsed.error) }, 'object does not match the schema; ignoring it');
      const removed = this.cache.remove(safeKey(raw));
      this.emit(removed ? [removed] : []);
      return;
    }
    const change = this.cache.upsert(parsed.data);
    this.emit(change ? [change] : []);
  }

  private applyDelete(raw: KubernetesObject): void {
    const removed = this.cache.remove(safeKey(raw));
    if (!removed) return;
    const final = this.options.schema.safeParse(raw);
    this.emit([final.success ? { type: 'delete', obj: final.data } : removed]);
  }

  private emit(changes: CacheChange<T>[]): void {
    this.options.metrics?.objects.set({ informer: this.name }, this.cache.size());
    for (const change of changes) {
      for (const h of this.handlers) {
        try {
          if (change.type === 'add') h.onAdd?.(change.obj);
          else if (change.type === 'update') h.onUpdate?.(change.obj, change.old);
          else h.onDelete?.(change.obj);
        } catch (err) {
          this.logger.error({ err, event: change.type }, 'event handler threw');
        }
      }
    }
  }
}

function safeKey(raw: KubernetesObject): string {
  const name = raw.metadata?.name ?? '';
  return raw.metadata?.namespace ? `${raw.metadata.namespace}/${name}` : name;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
