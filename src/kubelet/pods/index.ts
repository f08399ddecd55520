// The kubelet's pod workers: pure action planning and status assembly, the per-pod sync, the
// status manager and the per-UID workers. src/kubelet/kubelet.ts assembles them.
export { computePodActions, containerHash, initContainerProgress, newestInstance, podSandboxChanged, type ContainerToKill, type PodActions } from './actions.js';
export { buildPodStatus, type PodStatusInput } from './pod-status.js';
export { readPodState, relist, type RelistSnapshot } from './runtime-state.js';
export { StatusManager, withTransitionTimes } from './status-manager.js';
export { PodSyncer, createdMessage, killOrphan, killingMessage, removeAll, removePodLogs, startedMessage, type PodSyncerOptions } from './sync.js';
export { PodWorkers, type SyncFn } from './workers.js';
export { Annotations, Labels, type PodConfigBuilder, type RuntimePodState, type SandboxInfo, type VolumeManager } from './types.js';
