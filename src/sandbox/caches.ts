// The informers both controllers share, declared once so that each controller's setup asks the
// manager for the same cache (by name) and gets the one instance.
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, ObjectMetaSchema, VERSION } from '../crds/common.js';
import { collectionPath } from '../machinery/kube-list.js';
import type { InformerSpec } from '../machinery/manager.js';
import { LABELS, MANAGED_BY } from './names.js';

// Objects the controllers only read metadata and status of: checked loosely, typed by the client.
const PodShape = z.looseObject({ metadata: ObjectMetaSchema });
const PodSchema = z.custom<V1Pod>((value) => PodShape.safeParse(value).success, 'not a Pod');
/** A Runtime as the caches hold it: its spec is parsed where it is used (validation, pool template). */
const CachedRuntimeSchema = z.looseObject({ metadata: ObjectMetaSchema, spec: z.unknown(), status: z.unknown().optional() });
export type CachedRuntime = z.infer<typeof CachedRuntimeSchema>;

/** Every pod this operator made in the sandbox namespace: cold sandbox pods and pool pods. */
export function sandboxPodsInformer(namespace: string): InformerSpec<V1Pod> {
  return {
    name: 'sandbox-pods',
    path: collectionPath({ group: '', version: 'v1', plural: 'pods', namespace }),
    schema: PodSchema,
    labelSelector: `${LABELS.managedBy}=${MANAGED_BY}`,
  };
}

export const RUNTIMES_INFORMER: InformerSpec<CachedRuntime> = {
  name: 'runtimes',
  path: collectionPath({ group: GROUP, version: VERSION, plural: 'runtimes' }),
  schema: CachedRuntimeSchema,
};
