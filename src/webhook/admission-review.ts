// The AdmissionReview v1 wire format: what the API server sends and what it expects back.
import { z } from 'zod';

export const UserInfoSchema = z.object({
  username: z.string().default(''),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.array(z.string())).optional(),
});
export type UserInfo = z.infer<typeof UserInfoSchema>;

export const AdmissionRequestSchema = z.object({
  uid: z.string().min(1),
  kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
  operation: z.string(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  userInfo: UserInfoSchema,
  object: z.unknown().optional(),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequestSchema>;

export const AdmissionReviewSchema = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: AdmissionRequestSchema,
});

/** Allowed; or refused with the HTTP-like code the user sees and a message saying what to change. */
export type Decision = { allowed: true } | { allowed: false; code: 403 | 422 | 503; message: string };

export function reviewResponse(uid: string, decision: Decision): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: decision.allowed
      ? { uid, allowed: true }
      : { uid, allowed: false, status: { code: decision.code, message: decision.message } },
  };
}
