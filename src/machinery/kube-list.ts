import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';

/** The envelope of any list response; items stay raw JSON until the caller's schema parses them. */
const listEnvelope = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.object({ resourceVersion: z.string().optional(), continue: z.string().optional() }).optional(),
  items: z.array(z.object({ metadata: z.object({ name: z.string() }).loose() }).loose()).nullable(),
});

export type RawObject = z.infer<typeof listEnvelope>['items'] extends (infer I)[] | null ? I : never;

export interface RawList {
  resourceVersion: string;
  items: RawObject[];
}

const pageSize = 500;

/**
 * GETs every object of the collection at `path` (e.g. "/api/v1/namespaces/x/configmaps" or
 * "/apis/coderun.dev/v1alpha1/coderuns"), page by page, as raw JSON: the same shape the watch
 * delivers (apiVersion and kind included), so one schema parses both. The label selector is applied here exactly as on the watch.
 */
export async function listCollection(kubeConfig: KubeConfig, path: string, labelSelector?: string): Promise<RawList> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster: set a current-context');
  const http = new IsomorphicFetchHttpLibrary();
  const items: RawObject[] = [];
  let resourceVersion = '';
  let continueToken: string | undefined;
  do {
    const request = new RequestContext(cluster.server + path, HttpMethod.GET);
    request.setQueryParam('limit', String(pageSize));
    if (labelSelector) request.setQueryParam('labelSelector', labelSelector);
    if (continueToken) request.setQueryParam('continue', continueToken);
    request.setHeaderParam('Accept', 'application/json');
    await kubeConfig.applySecurityAuthentication(request);
    const response = await http.send(request).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(response.httpStatusCode, `list ${path} failed with HTTP ${response.httpStatusCode}: ${text.slice(0, 500)}`, text, response.headers);
    }
    const page = listEnvelope.safeParse(JSON.parse(text));
    if (!page.success) throw new Error(`list ${path}: unexpected response shape: ${z.prettifyError(page.error)}`);
    // List items come without apiVersion and kind; watch events carry them. Fill them in so one
    // schema (and one cache) sees the same object either way.
    const apiVersion = page.data.apiVersion;
    const kind = page.data.kind?.replace(/List$/, '');
    items.push(...(page.data.items ?? []).map((item) => ({ apiVersion, kind, ...item })));
    resourceVersion = page.data.metadata?.resourceVersion ?? resourceVersion;
    continueToken = page.data.metadata?.continue || undefined;
  } while (continueToken);
  return { resourceVersion, items };
}

/** The collection path of a resource: core group "" lives under /api, the rest under /apis. */
export function collectionPath(resource: { group: string; version: string; plural: string; namespace?: string }): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return resource.namespace ? `${base}/namespaces/${resource.namespace}/${resource.plural}` : `${base}/${resource.plural}`;
}
