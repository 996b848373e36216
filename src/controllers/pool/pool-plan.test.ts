import type { V1Deployment } from '@kubernetes/client-node';
import { planPool, type PoolObservation } from './pool-plan.js';

const deployment = (hash: string, replicas: number, resourceVersion?: string): V1Deployment => ({
  metadata: { name: 'pool-python3', labels: { 'coderun.dev/pool-spec': hash }, ...(resourceVersion ? { resourceVersion } : {}) },
  spec: { replicas, selector: {}, template: {} },
});
const counts = { starting: 0, idle: 2, claimed: 1 };
const base: PoolObservation = { runtimeExists: true, desired: deployment('h1', 3), observed: deployment('h1', 3, '7'), counts, statusPool: { desired: 3, ready: 3, idle: 2 } };

describe('planPool', () => {
  const cases: Array<[string, Partial<PoolObservation>, ReturnType<typeof planPool>]> = [
    ['everything as desired: nothing to do', {}, []],
    ['no Deployment yet: create it and report the counts', { observed: undefined, statusPool: undefined }, [
      { type: 'createDeployment', deployment: deployment('h1', 3) },
      { type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 2 } },
    ]],
    ['a new template hash: replace it on the observed version (rolls the pool)', { desired: deployment('h2', 3) }, [
      { type: 'replaceDeployment', deployment: deployment('h2', 3, '7') },
    ]],
    ['a new size: replace it (the autoscaler-ready single field)', { desired: deployment('h1', 5) }, [
      { type: 'replaceDeployment', deployment: deployment('h1', 5, '7') },
      { type: 'writeStatus', pool: { desired: 5, ready: 3, idle: 2 } },
    ]],
    ['counts changed: only the status', { counts: { starting: 1, idle: 1, claimed: 2 } }, [{ type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 1 } }]],
    ['warmPool removed: delete the Deployment and the pool status', { desired: undefined }, [
      { type: 'deleteDeployment', name: 'pool-python3' },
      { type: 'writeStatus', pool: null },
    ]],
    ['the Runtime deleted: delete the Deployment, no status to write', { runtimeExists: false, desired: undefined, statusPool: undefined }, [
      { type: 'deleteDeployment', name: 'pool-python3' },
    ]],
    ['no pool and nothing left: nothing to do', { desired: undefined, observed: undefined, statusPool: undefined }, []],
  ];
  it.each(cases)('%s', (_name, changes, expected) => {
    expect(planPool({ ...base, ...changes })).toEqual(expected);
  });
});
