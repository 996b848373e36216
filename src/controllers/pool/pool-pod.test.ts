import type { RuntimeSpec } from '../../crds/runtime.js';
import { PYTHON3 } from '../../sandbox/test-fixtures.js';
import { DEFAULT_SANDBOX_CONFIG, sandboxResources } from '../../sandbox/pod.js';
import { poolResources, poolTemplateHash, poolTemplateOf, type ObservedRuntime } from './pool-pod.js';

const spec: RuntimeSpec = { ...PYTHON3, warmPool: { replicas: 4 } };
const runtime = (s: RuntimeSpec = spec): ObservedRuntime => ({ metadata: { name: 'python3', uid: '0c9b6a8e-1111-2222-3333-444455556666' }, spec: s });
const config = { ...DEFAULT_SANDBOX_CONFIG, namespace: 'sandbox' };
/** The memory limit of a cold pod for a run at python3's max memory: a pool pod must fit any run. */
const maxMemory = sandboxResources(PYTHON3.limits.max.memoryMiB, config).limits?.memory;

describe('poolTemplateOf', () => {
  it.each([
    ['no warm pool', runtime(PYTHON3)],
    ['an invalid spec', runtime({ ...spec, image: '' })],
    ['a Runtime without a uid (not from the API)', { ...runtime(), metadata: { name: 'python3' } }],
    ['no Runtime', undefined],
  ])('is undefined for %s', (_name, observed) => {
    expect(poolTemplateOf(observed, config)).toBeUndefined();
    expect(poolTemplateHash(observed, config)).toBeUndefined();
  });

  it('keeps warmPool.replicas pods; replicas 0 is still a pool (an autoscaler may scale it up)', () => {
    expect(poolTemplateOf(runtime(), config)?.replicas).toBe(4);
    expect(poolTemplateOf(runtime({ ...spec, warmPool: { replicas: 0 } }), config)?.replicas).toBe(0);
  });

  it('makes idle sandbox pods in the sandbox namespace, labelled with the template hash, owned by the Runtime', () => {
    const template = poolTemplateOf(runtime(), config)!;
    const pod = template.pod('pool-python3-0a1b2c3d', 1_234_567_890);
    expect(pod.metadata).toEqual({
      name: 'pool-python3-0a1b2c3d',
      namespace: 'sandbox',
      labels: {
        'app.kubernetes.io/managed-by': 'coderun',
        'app.kubernetes.io/component': 'pool',
        'coderun.dev/runtime': 'python3',
        'coderun.dev/pool-state': 'idle',
        'coderun.dev/pool-spec': template.hash,
      },
      ownerReferences: [{ apiVersion: 'coderun.dev/v1alpha1', kind: 'Runtime', name: 'python3', uid: '0c9b6a8e-1111-2222-3333-444455556666', controller: true }],
    });
    const podSpec = pod.spec!;
    expect(podSpec.restartPolicy).toBe('Always');
    expect(podSpec.activeDeadlineSeconds).toBeUndefined();
    expect(podSpec.containers[0]?.command).toEqual(['/coderun/bin/runner', 'idle']);
    expect(podSpec.containers[0]?.image).toBe(PYTHON3.image);
  });

  it('gives each pod the uid it is made with, in every container, without changing the template hash', () => {
    const template = poolTemplateOf(runtime(), config)!;
    const uids = (uid: number) => {
      const s = template.pod('p', uid).spec!;
      return [s.securityContext?.runAsUser, s.securityContext?.runAsGroup, ...[...(s.initContainers ?? []), ...s.containers].map((c) => c.securityContext?.runAsUser)];
    };
    expect(new Set(uids(1_000_000_001))).toEqual(new Set([1_000_000_001]));
    expect(new Set(uids(1_000_000_002))).toEqual(new Set([1_000_000_002]));
    expect(template.pod('p', 1_000_000_002).metadata?.labels?.['coderun.dev/pool-spec']).toBe(template.hash);
  });

  it.each<[string, RuntimeSpec, boolean]>([
    ['a new image', { ...spec, image: 'python:3.13-slim' }, true],
    ['new pool resources', { ...spec, warmPool: { replicas: 4, resources: { requests: { cpu: '50m' } } } }, true],
    ['a new runtimeClassName', { ...spec, runtimeClassName: 'gvisor' }, true],
    ['a new max memory (the pod limit follows it)', { ...spec, limits: { ...spec.limits, max: { ...spec.limits.max, memoryMiB: 2048 } } }, true],
    ['only a new size', { ...spec, warmPool: { replicas: 9 } }, false],
    ['a new run command (given through exec, not in the pod)', { ...spec, run: { command: ['python3', 'x.py'] } }, false],
  ])('%s changes the template hash (rolls the pool): %s', (_name, changed, rolls) => {
    const before = poolTemplateHash(runtime(), config);
    const after = poolTemplateHash(runtime(changed), config);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(after !== before).toBe(rolls);
  });

  it('new operator settings of sandbox pods (the runner image) roll every pool', () => {
    expect(poolTemplateHash(runtime(), { ...config, runnerImage: 'coderun/runner:v2' })).not.toBe(poolTemplateHash(runtime(), config));
  });
});

describe('poolResources', () => {
  it('limits fit the Runtime max; requests are an idle pod: the runner overhead and a little, 10m of CPU', () => {
    const resources = poolResources(spec, config);
    expect(resources.limits).toMatchObject({ cpu: config.cpuLimit, memory: maxMemory });
    expect(resources.requests).toMatchObject({ cpu: '10m', memory: `${config.runnerOverheadMiB + 16}Mi` });
    expect(resources.requests?.['ephemeral-storage']).toBe(resources.limits?.['ephemeral-storage']);
  });

  it('limits fit the compile step when it may use more than a run', () => {
    const compiled: RuntimeSpec = { ...spec, compile: { command: ['cc'], limits: { ...spec.limits.max, memoryMiB: 2048 } } };
    const bigger = poolResources(compiled, config).limits?.memory;
    expect(Number.parseInt(bigger ?? '', 10) - Number.parseInt(maxMemory ?? '', 10)).toBe(2048 - spec.limits.max.memoryMiB);
  });

  it.each<[string, NonNullable<NonNullable<RuntimeSpec['warmPool']>['resources']>, Record<string, string>, Record<string, string>]>([
    ['a request', { requests: { memory: '200Mi' } }, { memory: '200Mi', cpu: '10m' }, { memory: maxMemory ?? '' }],
    ['requests = limits (no overcommit)', { requests: { memory: '1280Mi', cpu: '1' }, limits: { memory: '1280Mi' } }, { memory: '1280Mi', cpu: '1' }, { memory: '1280Mi' }],
    ['a limit alone: its request is the limit, never the default above it', { limits: { memory: '48Mi' } }, { memory: '48Mi', cpu: '10m' }, { memory: '48Mi' }],
  ])('warmPool.resources overrides single entries: %s', (_name, resources, requests, limits) => {
    const result = poolResources({ ...spec, warmPool: { replicas: 1, resources } }, config);
    expect(result.requests).toMatchObject(requests);
    expect(result.limits).toMatchObject(limits);
  });
});
