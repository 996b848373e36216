import type { V1Pod } from '@kubernetes/client-node';
import { claimedPodMetadata, POOL_ANNOTATIONS, POOL_LABELS } from '../../sandbox/pool-labels.js';
import { reuseDecision, type ReuseInput } from './pod-reuse.js';

const RUN = { namespace: 'judge', name: 'sum', uid: 'uid-1' };
const HASH = 'h2';

interface PodOptions {
  runUid?: string;
  attempt?: number;
  hash?: string;
  phase?: string;
  ready?: boolean;
  restartCount?: number;
  oomKilledBefore?: boolean;
  waiting?: boolean;
  deleting?: boolean;
  runsServed?: string;
}

/** A claimed pool pod as the API server returns it, healthy unless told otherwise. */
function pod(o: PodOptions = {}): V1Pod {
  const claimed = claimedPodMetadata({ ...RUN, uid: o.runUid ?? RUN.uid }, 'python3', o.attempt ?? 1);
  return {
    metadata: {
      name: 'pool-python3-a',
      resourceVersion: '42',
      labels: { ...claimed.labels, [POOL_LABELS.specHash]: o.hash ?? HASH },
      annotations: { ...claimed.annotations, ...(o.runsServed === undefined ? {} : { [POOL_ANNOTATIONS.runsServed]: o.runsServed }) },
      ...(o.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      initContainerStatuses: [{ name: 'install-runner', image: 'r', imageID: 'r', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [
        {
          name: 'sandbox',
          image: 'i',
          imageID: 'i',
          ready: o.ready !== false,
          restartCount: o.restartCount ?? 0,
          state: o.waiting ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: {} },
          ...(o.oomKilledBefore ? { lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } } : {}),
        },
      ],
    },
  };
}

const input = (p: V1Pod | undefined, runsPerPod = 5, over: Partial<ReuseInput> = {}): ReuseInput => ({
  pod: p,
  runUid: RUN.uid,
  attempt: 1,
  pool: { runsPerPod, templateHash: HASH, runtimeUid: 'rt-uid' },
  ...over,
});

describe('reuseDecision', () => {
  test.each<[string, ReuseInput, string]>([
    ['runsPerPod 1 (the default): every pod goes', input(pod(), 1), 'runsPerPod is 1'],
    ['the Runtime or its pool is gone', input(pod(), 5, { pool: undefined }), 'the Runtime has no pool any more'],
    ['the pod is gone', input(undefined), 'the pod is gone'],
    ['the pod is being deleted', input(pod({ deleting: true })), 'the pod is being deleted'],
    ['claimed by another run', input(pod({ runUid: 'uid-2' })), 'the pod is not claimed by this attempt'],
    ['claimed by another attempt of the run', input(pod({ attempt: 2 })), 'the pod is not claimed by this attempt'],
    ['of an old template (an image change rolls the pool)', input(pod({ hash: 'h1' })), 'the pod is of an old template'],
    ['not Ready', input(pod({ ready: false })), 'the pod is not Running and Ready'],
    ['failed', input(pod({ phase: 'Failed' })), 'the pod is not Running and Ready'],
    ['its container restarted (its volumes survived that)', input(pod({ restartCount: 1 })), 'a container of the pod restarted or was killed'],
    ['its container was OOM-killed before', input(pod({ oomKilledBefore: true })), 'a container of the pod restarted or was killed'],
    ['its container is not running', input(pod({ waiting: true })), 'a container of the pod is not running'],
    ['a count that is not a number', input(pod({ runsServed: 'x' })), 'the pod has no valid count of the runs it served'],
    ['a negative count', input(pod({ runsServed: '-1' })), 'the pod has no valid count of the runs it served'],
    ['it has served its runs', input(pod({ runsServed: '4' })), 'the pod has served runsPerPod (5) runs'],
    ['runsPerPod 2 after its first run... is reuse; after its second it goes', input(pod({ runsServed: '1' }), 2), 'the pod has served runsPerPod (2) runs'],
  ])('deletes when %s', (_, given, why) => {
    expect(reuseDecision(given)).toEqual({ kind: 'delete', why });
  });

  test.each<[string, ReuseInput, number]>([
    ['a fresh pod after its first run', input(pod()), 1],
    ['a pod that served 3 runs before', input(pod({ runsServed: '3' })), 4],
    ['runsPerPod 2 after the first run', input(pod(), 2), 1],
  ])('reuses %s, counting the run', (_, given, runsServed) => {
    expect(reuseDecision(given)).toEqual({ kind: 'reuse', runsServed, resourceVersion: '42', runtimeUid: 'rt-uid' });
  });
});
