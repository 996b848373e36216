import type { ExecResult, ExecSession } from '../../kube/pod-exec.js';
import { sessionAction, WarmSessions, type SessionAction } from './warm-sessions.js';

describe('sessionAction', () => {
  const cases: Array<[string, { claimable: boolean; gone: boolean; taken?: boolean }, boolean, SessionAction]> = [
    ['a claimable pod without a session gets one', { claimable: true, gone: false }, false, 'open'],
    ['a claimable pod with a session keeps it', { claimable: true, gone: false }, true, 'keep'],
    ['a pod not Ready yet waits', { claimable: false, gone: false }, false, 'keep'],
    ['a claimed pod keeps its session for the run about to take it', { claimable: false, gone: false }, true, 'keep'],
    ['a pod whose session a run took gets no other, though a stale cache shows it idle', { claimable: true, gone: false, taken: true }, false, 'keep'],
    ['a pod that is gone or deleting loses its session', { claimable: false, gone: true }, true, 'close'],
    ['a gone pod without a session: nothing to do', { claimable: false, gone: true }, false, 'keep'],
  ];
  it.each(cases)('%s', (_name, pod, hasSession, expected) => {
    expect(sessionAction({ taken: false, ...pod }, hasSession)).toBe(expected);
  });
});

/** A session whose end the test controls. */
class FakeSession implements ExecSession {
  private listeners: Array<() => void> = [];
  open = true;
  closedByStore = false;

  constructor(readonly pod: string) {}

  send(): Promise<ExecResult> {
    return Promise.reject(new Error('not used'));
  }

  close(): void {
    this.closedByStore = true;
    this.end();
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    for (const listener of this.listeners.splice(0)) listener();
  }

  onClosed(listener: () => void): void {
    if (this.open) this.listeners.push(listener);
    else listener();
  }
}

/** A store whose sessions report here when they end unused. */
function storeCountingUnused(): { store: WarmSessions; ended: () => void; unused: () => number } {
  let unused = 0;
  return {
    store: new WarmSessions(),
    ended: () => {
      unused++;
    },
    unused: () => unused,
  };
}

describe('WarmSessions', () => {
  it('hands a session out once, to the run that claimed its pod', () => {
    const store = new WarmSessions();
    const session = new FakeSession('p1');
    store.put(session);
    expect(store.has('p1')).toBe(true);
    expect(store.take('p1')).toBe(session);
    expect(store.take('p1')).toBeUndefined();
    expect(store.has('p1')).toBe(false);
    expect(session.closedByStore).toBe(false);
    expect(store.wasTaken('p1')).toBe(true);
    store.forget('p1');
    expect(store.wasTaken('p1')).toBe(false);
  });

  it('a session that ended unused is dropped and reported; taking it gives nothing', () => {
    const { store, ended, unused } = storeCountingUnused();
    const session = new FakeSession('p1');
    store.put(session, ended);
    session.end();
    expect(unused()).toBe(1);
    expect(store.has('p1')).toBe(false);
    expect(store.take('p1')).toBeUndefined();
  });

  it('a taken session that ends is not reported as unused', () => {
    const { store, ended, unused } = storeCountingUnused();
    const session = new FakeSession('p1');
    store.put(session, ended);
    store.take('p1');
    session.end();
    expect(unused()).toBe(0);
  });

  it('closing a pod\'s session (pod gone) or all of them (leadership ends) reports none as unused', () => {
    const { store, ended, unused } = storeCountingUnused();
    const sessions = ['p1', 'p2', 'p3'].map((pod) => new FakeSession(pod));
    for (const s of sessions) store.put(s, ended);
    store.close('p1');
    expect(sessions[0]?.closedByStore).toBe(true);
    expect(store.size).toBe(2);
    store.closeAll();
    expect(sessions.every((s) => s.closedByStore)).toBe(true);
    expect(store.size).toBe(0);
    expect(unused()).toBe(0);
  });

  it('a claim of a pod without a session marks it taken too, so an exec still opening for it is dropped', () => {
    const store = new WarmSessions();
    expect(store.take('p1')).toBeUndefined();
    expect(store.wasTaken('p1')).toBe(true);
  });

  it('a pod released back to its pool (runsPerPod) gets a session again, and hands it out once', () => {
    const store = new WarmSessions();
    store.put(new FakeSession('p1'));
    store.take('p1');
    expect(sessionAction({ claimable: true, gone: false, taken: store.wasTaken('p1') }, store.has('p1'))).toBe('keep');
    store.released('p1');
    expect(sessionAction({ claimable: true, gone: false, taken: store.wasTaken('p1') }, store.has('p1'))).toBe('open');
    const second = new FakeSession('p1');
    store.put(second);
    expect(store.take('p1')).toBe(second);
    expect(store.take('p1')).toBeUndefined();
  });

  it('a new session for the same pod replaces and closes the old one', () => {
    const store = new WarmSessions();
    const old = new FakeSession('p1');
    const next = new FakeSession('p1');
    store.put(old);
    store.put(next);
    expect(old.closedByStore).toBe(true);
    expect(store.take('p1')).toBe(next);
  });
});
