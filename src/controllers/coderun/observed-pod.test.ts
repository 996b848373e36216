import type { V1Pod } from '@kubernetes/client-node';
import { podView } from './observed-pod.js';

const created = '2026-11-22T12:00:00Z';
const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p', creationTimestamp: new Date(created) }, status });

describe('podView', () => {
  test.each<[string, V1Pod | undefined, ReturnType<typeof podView>]>([
    ['no pod', undefined, { kind: 'absent' }],
    ['succeeded', pod({ phase: 'Succeeded' }), { kind: 'finished' }],
    ['failed (OOM, deadline, crash)', pod({ phase: 'Failed' }), { kind: 'finished' }],
    ['running, not yet Ready', pod({ phase: 'Running' }), { kind: 'running', ready: false }],
    ['running and Ready: an exec reaches the runner', pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), { kind: 'running', ready: true }],
    ['running, Ready false', pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }), { kind: 'running', ready: false }],
    ['unknown node state', pod({ phase: 'Unknown' }), { kind: 'running', ready: false }],
    [
      'pending while containers are created',
      pod({ phase: 'Pending', containerStatuses: [{ name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      { kind: 'pending', createdAt: new Date(created), waitingReason: undefined, waitingMessage: undefined, unschedulableMessage: undefined },
    ],
    [
      'pending on a missing image, found on the init container',
      pod({
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'install-runner', image: 'r', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull', message: 'not present' } } },
        ],
      }),
      { kind: 'pending', createdAt: new Date(created), waitingReason: 'ErrImageNeverPull', waitingMessage: 'not present', unschedulableMessage: undefined },
    ],
    [
      'pending and unschedulable',
      pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] }),
      { kind: 'pending', createdAt: new Date(created), waitingReason: undefined, waitingMessage: undefined, unschedulableMessage: '0/1 nodes are available' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(podView(input)).toEqual(expected);
  });
});

describe('podView with the pod\'s Warning events', () => {
  const initializing = pod({
    phase: 'Pending',
    containerStatuses: [{ name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  });

  test('a status stuck at PodInitializing takes the cause from the events', () => {
    const warnings = [
      { reason: 'MissingClusterDNS', message: 'falling back to Default' },
      { reason: 'ErrImageNeverPull', message: 'Container image "coderun.local/x:1" is not present with pull policy of Never' },
      { reason: 'Failed', message: 'Error: ErrImageNeverPull' },
    ];
    expect(podView(initializing, warnings)).toMatchObject({
      kind: 'pending',
      waitingReason: 'ErrImageNeverPull',
      waitingMessage: 'Container image "coderun.local/x:1" is not present with pull policy of Never',
    });
  });

  test('warnings that say nothing about starting are not a cause', () => {
    expect(podView(initializing, [{ reason: 'MissingClusterDNS', message: 'x' }])).toMatchObject({ kind: 'pending', waitingReason: undefined });
  });

  test('a reason in the container status wins over the events', () => {
    const pulling = pod({
      phase: 'Pending',
      containerStatuses: [{ name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'back-off' } } }],
    });
    expect(podView(pulling, [{ reason: 'ErrImageNeverPull', message: 'old' }])).toMatchObject({ waitingReason: 'ImagePullBackOff', waitingMessage: 'back-off' });
  });
});
