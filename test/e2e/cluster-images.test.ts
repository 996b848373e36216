import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { testKubeConfig } from '../support/kube-config.js';
import { ClusterTestNamespace, GCC_IMAGE, PYTHON_IMAGE, hasEnded, localContainer, podOf } from './cluster-support.js';

// The runtime images built by hack/images work the way coderun runs them: an arbitrary
// non-root uid, a read-only root filesystem, and a small tmpfs as the only writable place.

const kc = testKubeConfig();
const ns = new ClusterTestNamespace(kc, 'cluster-images');

beforeAll(() => ns.create(), 60_000);
afterAll(() => ns.delete(), 90_000);

const lockedDown: Partial<V1PodSpec> = {
  securityContext: { runAsUser: 40123, runAsGroup: 40123, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  volumes: [{ name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
};

function sandboxed(image: string, script: string): V1Container {
  return localContainer(image, ['sh', '-c', script], {
    workingDir: '/tmp',
    volumeMounts: [{ name: 'work', mountPath: '/tmp' }],
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    resources: { limits: { memory: '256Mi', cpu: '1' } },
  });
}

async function runToEnd(name: string, container: V1Container): Promise<{ phase: string | undefined; logs: string }> {
  await ns.createPod(podOf(name, container, lockedDown));
  const pod = await ns.waitForPod(name, 'to end', 90_000, hasEnded);
  const logs = await ns.core.readNamespacedPodLog({ name, namespace: ns.name, container: 'main' });
  return { phase: pod.status?.phase, logs };
}

test('python3 runs a program as a non-root uid on a read-only root filesystem', async () => {
  const script = `printf 'import os, sys\\nprint(os.getuid(), sum(range(10)), sys.version_info[0])\\n' > main.py && python3 main.py && touch /usr/x 2>/dev/null || echo read-only`;
  const { phase, logs } = await runToEnd('python', sandboxed(PYTHON_IMAGE, script));
  expect(logs).toBe('40123 45 3\nread-only\n');
  expect(phase).toBe('Succeeded');
}, 120_000);

test('gcc and g++ compile with -O2 and the programs run as a non-root uid', async () => {
  const script = [
    `printf '#include <stdio.h>\\nint main(void){printf("c %%d\\\\n", 6*7);return 0;}\\n' > a.c`,
    `printf '#include <iostream>\\n#include <vector>\\nint main(){std::vector<int> v{1,2,3};int s=0;for(int x:v)s+=x;std::cout<<"cpp "<<s<<std::endl;}\\n' > b.cpp`,
    'gcc -O2 -o a a.c && g++ -O2 -std=c++17 -o b b.cpp && ./a && ./b',
  ].join(' && ');
  const { phase, logs } = await runToEnd('gcc', sandboxed(GCC_IMAGE, script));
  expect(logs).toBe('c 42\ncpp 6\n');
  expect(phase).toBe('Succeeded');
}, 120_000);
