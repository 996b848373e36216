// What the webhook decides for a CodeRun or a Runtime. The checks are the reconciler's own
// (validateCodeRun): a run refused here would be refused by the reconciler with the same text.
// The webhook adds what only it can know: who is asking, and whether they may read what the
// run refers to.
import { RuntimeSpecSchema } from '../crds/runtime.js';
import { listReferences, type DataReference } from '../controllers/coderun/inputs.js';
import { formatIssues } from '../crds/format-issues.js';
import { validateCodeRun } from '../controllers/coderun/validate.js';
import type { ReadQuestion } from '../kube/access-review.js';
import type { Decision, UserInfo } from './admission-review.js';

/** One object a run refers to, as an access question. */
export interface CodeRunAdmissionDeps {
  /** The Runtime object, or undefined when there is none. */
  runtime(name: string): Promise<unknown>;
  /** Whether `user` may get the object (a SubjectAccessReview); throws when it cannot tell. */
  mayRead(user: UserInfo, question: ReadQuestion): Promise<boolean>;
}

const resourceOf = (ref: DataReference): ReadQuestion['resource'] => (ref.kind === 'Secret' ? 'secrets' : 'configmaps');

function runtimeName(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null || !('spec' in object)) return undefined;
  const spec = object.spec;
  return typeof spec === 'object' && spec !== null && 'runtime' in spec && typeof spec.runtime === 'string' ? spec.runtime : undefined;
}

export async function admitCodeRun(namespace: string, object: unknown, user: UserInfo, deps: CodeRunAdmissionDeps): Promise<Decision> {
  const name = runtimeName(object);
  const spec = typeof object === 'object' && object !== null && 'spec' in object ? object.spec : undefined;
  const validation = validateCodeRun(spec, name === undefined ? undefined : await deps.runtime(name));
  if (!validation.valid) return { allowed: false, code: 422, message: validation.message };

  const asked = new Set<string>();
  for (const ref of listReferences(validation.spec)) {
    const question: ReadQuestion = { resource: resourceOf(ref), namespace, name: ref.name };
    const key = `${question.resource}/${question.name}`;
    if (asked.has(key)) continue;
    asked.add(key);
    let allowed: boolean;
    try {
      allowed = await deps.mayRead(user, question);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { allowed: false, code: 503, message: `${ref.field}: could not check whether ${userText(user)} may get ${key} (${why}); try again` };
    }
    if (!allowed) {
      return {
        allowed: false,
        code: 403,
        message:
          `${ref.field}: ${userText(user)} may not get ${question.resource} "${question.name}" in namespace "${namespace}", ` +
          'and a CodeRun may refer only to objects its creator may read: ask for "get" on it, or give the data inline',
      };
    }
  }
  return { allowed: true };
}

function userText(user: UserInfo): string {
  return user.username === '' ? 'the requesting user' : `user "${user.username}"`;
}

export function admitRuntime(object: unknown): Decision {
  const spec = typeof object === 'object' && object !== null && 'spec' in object ? object.spec : undefined;
  const parsed = RuntimeSpecSchema.safeParse(spec);
  return parsed.success ? { allowed: true } : { allowed: false, code: 422, message: formatIssues('spec', parsed.error) };
}
