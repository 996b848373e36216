// Asks the API server whether a user may read an object: a SubjectAccessReview with the
// admission request's userInfo, so that the answer follows every authorizer the cluster has.
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

/** Who asks, as an admission request names them (the webhook's UserInfo). */
export interface RequestUser {
  username: string;
  uid?: string | undefined;
  groups?: string[] | undefined;
  extra?: Record<string, string[]> | undefined;
}

/** May the user read this ConfigMap or Secret? */
export interface ReadQuestion {
  resource: 'configmaps' | 'secrets';
  namespace: string;
  name: string;
}

export class AccessReviewer {
  private readonly api: AuthorizationV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  async mayRead(user: RequestUser, question: ReadQuestion): Promise<boolean> {
    const review = await this.api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          resourceAttributes: { group: '', version: 'v1', resource: question.resource, verb: 'get', namespace: question.namespace, name: question.name },
        },
      },
    });
    return review.status?.allowed === true;
  }
}
