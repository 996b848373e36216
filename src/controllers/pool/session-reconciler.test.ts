// The session controller against fake pods and a fake exec: a claimable pool pod gets one exec
// opened ahead, a claimed or gone pod none, and a session that ends unused is opened again after
// a backoff.
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { ExecSession, ExecTarget } from '../../kube/pod-exec.js';
import { idlePoolLabels } from '../../sandbox/pool-labels.js';
import { sessionReconciler } from './session-reconciler.js';
import { WarmSessions } from './warm-sessions.js';

const KEY = 'coderun-sandbox/pool-python3-abcde';
const NAME = 'pool-python3-abcde';
const signal = () => ({ signal: new AbortController().signal });

function readyPod(): V1Pod {
  return {
    metadata: { name: NAME, namespace: 'coderun-sandbox', labels: idlePoolLabels('python3') },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function setup() {
  const pods = new Map<string, V1Pod>([[KEY, readyPod()]]);
  const opened: Array<{ target: ExecTarget; end: () => void; closed: boolean }> = [];
  const requeued: number[] = [];
  const sessions = new WarmSessions();
  const open = async (target: ExecTarget): Promise<ExecSession> => {
    const listeners: Array<() => void> = [];
    const entry = { target, closed: false, end: () => listeners.forEach((l) => l()) };
    opened.push(entry);
    return {
      pod: target.pod,
      get open() {
        return !entry.closed;
      },
      send: async () => Promise.reject(new Error('not used here')),
      close: () => {
        entry.closed = true;
        entry.end();
      },
      onClosed: (listener) => listeners.push(listener),
    };
  };
  const reconcile = sessionReconciler({ pods: { get: (key) => pods.get(key) }, sessions, exec: { open }, requeueAfter: (_key, ms) => requeued.push(ms), logger: pino({ level: 'silent' }) });
  return { pods, opened, requeued, sessions, reconcile };
}

describe('session reconciler', () => {
  it('opens one exec of runner run ahead in a claimable pod, and no second one', async () => {
    const { opened, sessions, reconcile } = setup();
    await reconcile(KEY, signal());
    await reconcile(KEY, signal());
    expect(opened.map((o) => o.target)).toEqual([expect.objectContaining({ namespace: 'coderun-sandbox', pod: NAME, container: 'sandbox' })]);
    expect(sessions.has(NAME)).toBe(true);
  });

  it('opens none in a pod a run has taken, and closes the session of a pod that is gone', async () => {
    const { opened, sessions, reconcile } = setup();
    await reconcile(KEY, signal());
    expect(sessions.take(NAME)).toBeDefined();
    await reconcile(KEY, signal());
    expect(opened).toHaveLength(1);

    const second = setup();
    await second.reconcile(KEY, signal());
    second.pods.delete(KEY);
    await second.reconcile(KEY, signal());
    expect(second.opened[0]?.closed).toBe(true);
    expect(second.sessions.size).toBe(0);
  });

  it('opens a session that ended unused again after a growing backoff', async () => {
    const { opened, requeued, sessions, reconcile } = setup();
    await reconcile(KEY, signal());
    opened[0]?.end();
    expect(sessions.has(NAME)).toBe(false);
    await reconcile(KEY, signal());
    opened[1]?.end();
    expect(requeued).toEqual([1000, 2000]);
    expect(opened).toHaveLength(2);
  });
});
