import { PYTHON3 } from '../coderun/test-fixtures.js';
import { DEFAULT_SANDBOX_CONFIG } from '../coderun/sandbox-pod.js';
import { buildPoolDeployment, poolResources, poolSpecHashOf } from './pool-deployment.js';

const runtime = { name: 'python3', uid: '0c9b6a8e-1111-2222-3333-444455556666', spec: { ...PYTHON3, warmPool: { replicas: 4 } } };
const config = { ...DEFAULT_SANDBOX_CONFIG, namespace: 'sandbox' };

describe('buildPoolDeployment', () => {
  it('is undefined for a Runtime without a warm pool', () => {
    expect(buildPoolDeployment({ ...runtime, spec: PYTHON3 }, config)).toBeUndefined();
  });

  it('keeps warmPool.replicas idle sandbox pods, owned by the Runtime, in the sandbox namespace', () => {
    const d = buildPoolDeployment(runtime, config)!;
    expect(d.metadata).toMatchObject({ name: 'pool-python3', namespace: 'sandbox' });
    expect(d.metadata?.ownerReferences).toEqual([{ apiVersion: 'coderun.dev/v1alpha1', kind: 'Runtime', name: 'python3', uid: runtime.uid, controller: true }]);
    expect(d.spec?.replicas).toBe(4);
    // The selector includes the idle state: a claimed pod (state claimed) leaves the ReplicaSet.
    expect(d.spec?.selector.matchLabels).toEqual({
      'app.kubernetes.io/managed-by': 'coderun',
      'app.kubernetes.io/component': 'pool',
      'coderun.dev/runtime': 'python3',
      'coderun.dev/pool-state': 'idle',
    });
    expect(d.spec?.template.metadata?.labels).toMatchObject(d.spec?.selector.matchLabels ?? {});
    const pod = d.spec!.template.spec!;
    expect(pod.restartPolicy).toBe('Always');
    expect(pod.activeDeadlineSeconds).toBeUndefined();
    expect(pod.containers[0]?.command).toEqual(['/coderun/bin/runner', 'idle']);
    expect(pod.containers[0]?.image).toBe(PYTHON3.image);
    expect(pod.volumes?.map((v) => v.name)).not.toContain('job');
    // No rollout ever takes ready idle pods away before new ones are ready.
    expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  it('sizes pods for the Runtime max memory, overridable per entry by warmPool.resources', () => {
    const max = PYTHON3.limits.max.memoryMiB + config.workdirMiB + config.tmpMiB + config.runnerOverheadMiB;
    expect(poolResources(runtime.spec, config).limits).toMatchObject({ memory: `${max}Mi`, cpu: config.cpuLimit });
    const small = poolResources({ ...runtime.spec, warmPool: { replicas: 1, resources: { requests: { memory: '64Mi' } } } }, config);
    expect(small.requests).toMatchObject({ memory: '64Mi', cpu: config.cpuRequest });
    expect(small.limits?.memory).toBe(`${max}Mi`);
  });

  it.each([
    ['a new image', { ...runtime.spec, image: 'python:3.13-slim' }, true],
    ['new pool resources', { ...runtime.spec, warmPool: { replicas: 4, resources: { requests: { cpu: '50m' } } } }, true],
    ['a new runtimeClassName', { ...runtime.spec, runtimeClassName: 'gvisor' }, true],
    ['only a new size', { ...runtime.spec, warmPool: { replicas: 9 } }, false],
    ['a new run command (given through exec, not in the pod)', { ...runtime.spec, run: { command: ['python3', 'x.py'] } }, false],
  ])('%s changes the template hash (rolls the pool): %s', (_name, spec, rolls) => {
    const before = poolSpecHashOf(buildPoolDeployment(runtime, config));
    const after = poolSpecHashOf(buildPoolDeployment({ ...runtime, spec }, config));
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(after !== before).toBe(rolls);
  });
});
