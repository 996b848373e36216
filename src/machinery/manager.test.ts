import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { z } from 'zod';
import { createMachineryMetrics } from '../observability/machinery-metrics.js';
import { createRegistry } from '../observability/registry.js';
import { Manager, type Runnable } from './manager.js';

const managers: Manager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((mgr) => mgr.stop()));
});

function newManager(): Manager {
  const registry = createRegistry({ processMetrics: false });
  return remember(new Manager({ kubeConfig: new KubeConfig(), logger: pino({ level: 'silent' }), registry, metrics: createMachineryMetrics(registry), port: 0, leaderElection: undefined }));
}

function remember(mgr: Manager): Manager {
  managers.push(mgr);
  return mgr;
}

/** A runnable that writes what happens to it into `log`; its start waits for `gate` when given. */
function recorded(name: string, log: string[], gate?: Promise<void>): Runnable {
  return {
    name,
    start: async () => {
      log.push(`start ${name}`);
      await gate;
    },
    stop: async () => {
      log.push(`stop ${name}`);
    },
  };
}

const readyz = async (mgr: Manager) => {
  const response = await fetch(`http://127.0.0.1:${mgr.server.port}/readyz`);
  return { status: response.status, body: (await response.text()).trim() };
};

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    // A refused connection (the server not listening yet) counts as "not yet".
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}

describe('Manager', () => {
  it('starts every-replica runnables, then leader-only ones in the order added; stops leader-only ones first, in reverse', async () => {
    const log: string[] = [];
    const mgr = newManager();
    mgr.add(recorded('sweep', log), { leaderElection: true });
    mgr.add(recorded('webhook', log), { leaderElection: false });
    mgr.add(recorded('controller', log), { leaderElection: true });
    const ended = mgr.run();
    await until(() => log.length === 3);
    expect(await readyz(mgr)).toEqual({ status: 200, body: 'ok' });
    await mgr.stop();
    expect(await ended).toBe('stopped');
    expect(log).toEqual(['start webhook', 'start sweep', 'start controller', 'stop controller', 'stop sweep', 'stop webhook']);
  });

  it('is not ready while a leader-only runnable is starting, and stops only what started', async () => {
    const log: string[] = [];
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const mgr = newManager();
    mgr.add(recorded('slow', log, gate), { leaderElection: true });
    mgr.add(recorded('never', log), { leaderElection: true });
    void mgr.run();
    await until(() => log.includes('start slow'));
    expect(await readyz(mgr)).toEqual({ status: 503, body: 'not ready: caches are syncing' });
    const stopped = mgr.stop();
    open();
    await stopped;
    expect(log).toEqual(['start slow', 'stop slow']);
  });

  it('is not ready while an every-replica runnable says why not', async () => {
    let certificate = false;
    const mgr = newManager();
    mgr.add({ ...recorded('webhook', []), readiness: () => (certificate ? true : 'no serving certificate yet') }, { leaderElection: false });
    void mgr.run();
    await until(async () => (await readyz(mgr)).status === 503);
    expect(await readyz(mgr)).toEqual({ status: 503, body: 'not ready: no serving certificate yet' });
    certificate = true;
    await until(async () => (await readyz(mgr)).status === 200);
  });

  it('hands out one shared informer per name', () => {
    const mgr = newManager();
    const spec = { name: 'pods', path: '/api/v1/pods', schema: z.custom<V1Pod>(() => true) };
    expect(mgr.informer(spec)).toBe(mgr.informer(spec));
    expect(mgr.informer({ ...spec, name: 'other' })).not.toBe(mgr.informer(spec));
  });
});
