// Seams of the pod workers: the pod-config builder and the volume manager they call (defined by
// src/kubelet/podconfig and src/kubelet/volumes), the labels every sandbox and container carries,
// and the runtime's view of one pod.
import type { ContainerStatus as RuntimeContainerStatus, PodSandboxState } from '../runtime/types.js';

export type { PodConfigBuilder } from '../podconfig/index.js';
export type { VolumeManager } from '../volumes/index.js';

/** Labels on sandboxes and containers (upstream's names, k/k pkg/kubelet/types/labels.go). */
export const Labels = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** Container annotations (upstream's names, k/k pkg/kubelet/kuberuntime/labels.go). */
export const Annotations = {
  restartCount: 'io.kubernetes.container.restartCount',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationGracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
  hash: 'io.kubernetes.container.hash',
} as const;

/** One sandbox of a pod as the runtime reports it. */
export interface SandboxInfo {
  id: string;
  attempt: number;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  /** The pod IP from CNI ('' for host-network pods or when unknown). */
  ip: string;
  additionalIps: string[];
  /** The sandbox's labels (pod name, namespace and UID among them). */
  labels: Record<string, string>;
}

/** Everything the runtime holds for one pod UID. */
export interface RuntimePodState {
  uid: string;
  /** Newest first. */
  sandboxes: SandboxInfo[];
  /** Every container instance of the pod (all attempts), newest first. */
  containers: RuntimeContainerStatus[];
}
