// zod's issues as one line a user can act on: the field's path and what is wrong with it.
import type { z } from 'zod';

function pathText(prefix: string, path: PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), prefix);
}

/** One line per problem, each naming the field: "spec.source: set exactly one of ...". */
export function formatIssues(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      return `${pathText(prefix, issue.path)}: ${missing ? 'is required' : issue.message}`;
    })
    .join('; ');
}
