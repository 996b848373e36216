import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFromFile } from '../../src/kube/kube-config.js';

/** The cluster the jest globalSetup brought up (it sets KUBECONFIG). */
export function testKubeConfig(): KubeConfig {
  const path = process.env.KUBECONFIG;
  if (!path) throw new Error('KUBECONFIG is not set: the jest globalSetup must bring the cluster up first');
  return kubeConfigFromFile(path);
}
