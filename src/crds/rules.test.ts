import { z } from 'zod';
import { toStructuralSchema } from './openapi-schema.js';
import { withRules } from './rules.js';

const Pair = withRules(
  z.object({ a: z.number().optional(), b: z.number().optional() }),
  [{ cel: '!(has(self.a) && has(self.b))', holds: (p) => p.a === undefined || p.b === undefined, message: 'set a or b, not both', path: ['b'] }],
  [{ rule: 'self == oldSelf', message: 'immutable' }],
);

test('zod reports a broken rule with its message, at its path', () => {
  expect(Pair.safeParse({ a: 1 }).success).toBe(true);
  expect(Pair.safeParse({ a: 1, b: 2 }).error?.issues).toEqual([expect.objectContaining({ path: ['b'], message: 'set a or b, not both' })]);
});

test('the CRD schema carries the same rule as CEL with the same message, after the CEL-only ones', () => {
  expect(toStructuralSchema(Pair)['x-kubernetes-validations']).toEqual([
    { rule: 'self == oldSelf', message: 'immutable' },
    { rule: '!(has(self.a) && has(self.b))', message: 'set a or b, not both' },
  ]);
});
