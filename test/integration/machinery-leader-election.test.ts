import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { LeaderElector, type LeadershipEnd } from '../../src/machinery/leader-election.js';
import { createMachineryMetrics } from '../../src/observability/machinery-metrics.js';
import { createRegistry } from '../../src/observability/registry.js';
import { eventually } from '../support/eventually.js';
import { testKubeConfig } from '../support/kube-config.js';
import { proxiedKubeConfig, type TcpProxy } from './machinery-support.js';

const namespace = 'default';
// Short timings so a takeover is seen in seconds; same ratios as the 15 / 10 / 2 defaults.
const timing = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 };

/** One operator replica: an elector and what its callbacks saw. */
class Replica {
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  readonly leadersSeen: string[] = [];
  readonly elector: LeaderElector;
  readonly run: Promise<LeadershipEnd>;
  private readonly metrics = createMachineryMetrics(createRegistry({ processMetrics: false }));

  constructor(identity: string, kubeConfig: KubeConfig, private readonly leaseName: string) {
    this.elector = new LeaderElector({
      kubeConfig,
      namespace,
      name: leaseName,
      identity,
      ...timing,
      metrics: this.metrics.leaderElection,
      onStartedLeading: () => (this.startedAt = Date.now()),
      onStoppedLeading: () => (this.stoppedAt = Date.now()),
      onNewLeader: (leader) => this.leadersSeen.push(leader),
    });
    this.run = this.elector.run();
  }

  async masterStatus(): Promise<number | undefined> {
    return (await this.metrics.leaderElection.masterStatus.get()).values.find((v) => v.labels.name === this.leaseName)?.value;
  }
}

describe('LeaderElector against a real API server', () => {
  const kc = testKubeConfig();
  const leases = kc.makeApiClient(CoordinationV1Api);
  const replicas: Replica[] = [];
  const proxies: TcpProxy[] = [];
  let leaseName = '';

  beforeEach(() => {
    leaseName = `machinery-le-${randomBytes(4).toString('hex')}`;
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.elector.stop()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await leases.deleteNamespacedLease({ name: leaseName, namespace }).catch(() => undefined);
  });

  function replica(identity: string, kubeConfig: KubeConfig = kc): Replica {
    const r = new Replica(identity, kubeConfig, leaseName);
    replicas.push(r);
    return r;
  }

  const holder = async (): Promise<string | undefined> => (await leases.readNamespacedLease({ name: leaseName, namespace })).spec?.holderIdentity;
  const leaders = (rs: Replica[]): Replica[] => rs.filter((r) => r.elector.isLeader());

  it('of two replicas started together, exactly one leads, stays leader, and both agree who it is', async () => {
    const a = replica('replica-a');
    const b = replica('replica-b');
    await eventually('a leader', () => leaders([a, b]).length === 1);
    const leader = leaders([a, b])[0] as Replica;
    const follower = leader === a ? b : a;
    // Over several lease durations, never two leaders and no change of leader.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      expect(leaders([a, b])).toEqual([leader]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await holder()).toBe(leader.elector.identity);
    expect(follower.leadersSeen).toEqual([leader.elector.identity]);
    expect(follower.startedAt).toBeUndefined();
    expect(await leader.masterStatus()).toBe(1);
    expect(await follower.masterStatus()).toBe(0);
  }, 30_000);

  it('hands over at once when the leader stops and releases the lease', async () => {
    const a = replica('replica-a');
    await eventually('a to lead', () => a.elector.isLeader());
    const b = replica('replica-b');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(b.elector.isLeader()).toBe(false);
    const transitionsBefore = (await leases.readNamespacedLease({ name: leaseName, namespace })).spec?.leaseTransitions ?? 0;

    const releasedAt = Date.now();
    expect(await a.elector.stop()).toBe('stopped');
    expect(a.stoppedAt).toBeDefined();
    await eventually('b to take over', () => b.elector.isLeader(), 5000);
    // A released lease is free at once: b does not wait out the 3 s lease duration.
    expect((b.startedAt ?? Infinity) - releasedAt).toBeLessThan(timing.leaseDurationSeconds * 1000);
    const lease = await leases.readNamespacedLease({ name: leaseName, namespace });
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    expect(lease.spec?.leaseTransitions).toBe(transitionsBefore + 1);
    expect(await a.masterStatus()).toBe(0);
    expect(await b.masterStatus()).toBe(1);
  }, 30_000);

  it('when the leader can no longer renew, it steps down before the other replica takes over', async () => {
    const { kubeConfig, proxy } = await proxiedKubeConfig(kc);
    proxies.push(proxy);
    const a = replica('replica-a', kubeConfig);
    await eventually('a to lead', () => a.elector.isLeader());
    const b = replica('replica-b');
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // a is cut off from the API server: it cannot renew, nor release.
    proxy.setRefusing(true);
    proxy.breakConnections();
    expect(await a.run).toBe('lost');
    await eventually('b to take over', () => b.elector.isLeader(), 10_000);
    expect(await holder()).toBe('replica-b');
    // Never two leaders: a stepped down (renew deadline 2 s) before b acquired (lease 3 s unchanged).
    expect(a.stoppedAt).toBeDefined();
    expect(b.startedAt).toBeGreaterThan(a.stoppedAt as number);
    expect(a.elector.isLeader()).toBe(false);
  }, 30_000);

  it('refuses unsafe timings with a message that says what to change', () => {
    expect(
      () => new LeaderElector({ kubeConfig: kc, namespace, name: 'x', leaseDurationSeconds: 5, renewDeadlineSeconds: 8, onStartedLeading: () => {}, onStoppedLeading: () => {} }),
    ).toThrow('leaseDurationSeconds (5) must be greater than renewDeadlineSeconds (8)');
  });
});
