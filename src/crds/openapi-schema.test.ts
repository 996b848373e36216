import { z } from 'zod';
import { toStructuralSchema } from './openapi-schema.js';

test('optional, defaulted and record fields become a structural schema', () => {
  const schema = z.object({
    count: z.number().int().min(1).optional(),
    big: z.int(),
    mode: z.enum(['a', 'b']).default('a'),
    labels: z.record(z.string(), z.string()),
  });
  expect(toStructuralSchema(schema)).toEqual({
    type: 'object',
    properties: {
      count: { type: 'integer', minimum: 1 },
      big: { type: 'integer' },
      mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
    required: ['big', 'labels'],
  });
});

test('a union is refused with the path and what to do instead', () => {
  const schema = z.object({ spec: z.object({ value: z.union([z.string(), z.number()]) }) });
  expect(() => toStructuralSchema(schema)).toThrow('<root>.spec.value: "anyOf" makes the CRD schema non-structural');
});

test('a field of unknown type is refused', () => {
  expect(() => toStructuralSchema(z.object({ anything: z.unknown() }))).toThrow('<root>.anything: every node of a structural schema needs a type');
});
