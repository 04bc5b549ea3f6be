// Writing a pod's addresses back as the `k8s.ovn.org/pod-networks` annotation, as ovn-kubernetes does: the CNI on
// the node reads it to configure the pod's interface. A source that talks to the API (the informer source, with its
// kubeconfig) writes it with a JSON merge patch of metadata.annotations through client-node's CoreV1Api
// (patchNamespacedPod); a source that only reads (a kubectl watch stream, manifests) cannot, and the agent then only
// reports the value (Agent's `podNetwork` event).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { POD_NETWORKS_ANNOTATION } from '../ovn/names.js';

/** Writes the `k8s.ovn.org/pod-networks` annotation of a pod. */
export interface PodAnnotationWriter {
  /** Sets the annotation to `value` on the pod. Resolves when written (or when the pod is gone); rejects to be retried. */
  write(pod: V1Pod, value: string): Promise<void>;
}

/** The annotation's value on the pod as the cache has it. */
export function podNetworksAnnotationOf(pod: V1Pod): string | undefined {
  return pod.metadata?.annotations?.[POD_NETWORKS_ANNOTATION];
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown } | undefined);
  const value = code?.code ?? code?.statusCode;
  return typeof value === 'number' ? value : undefined;
}

/** Writes through the Kubernetes API with client-node (a JSON merge patch: only the one annotation changes). */
export class ApiPodAnnotationWriter implements PodAnnotationWriter {
  private readonly api: CoreV1Api;

  constructor(config: KubeConfig) {
    this.api = config.makeApiClient(CoreV1Api);
  }

  async write(pod: V1Pod, value: string): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    try {
      await this.api.patchNamespacedPod(
        { name, namespace, body: { metadata: { annotations: { [POD_NETWORKS_ANNOTATION]: value } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      // Deleted meanwhile: nothing to write any more (its deletion is on its way through the watch).
      if (statusCode(err) === 404) return;
      throw err;
    }
  }
}
