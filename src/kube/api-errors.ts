import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, when it was one. */
export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** Runs a create; AlreadyExists is success (deterministic names make creates idempotent). */
export async function createIfAbsent(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
}

/** Runs a delete or a read; NotFound gives undefined. */
export async function ignoreNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}
