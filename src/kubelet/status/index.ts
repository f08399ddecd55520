// Pure pod-status computations: phase, conditions, container statuses, restarts, crash-loop back-off.
export {
  CRASHLOOP_INITIAL_MS, CRASHLOOP_MAX_MS, CRASHLOOP_RESET_MS, ConditionReason, containersReadyCondition, crashLoopBackOff, crashLoopKey,
  formatPod, getPhase, hasAnyRegularContainerStarted, initializedCondition, isRestartableInitContainer, newCrashLoopBackOff,
  podConditions, podReadyCondition, shouldContainerBeRestarted, toApiContainerStatuses,
  type ContainerStatusInput, type CrashLoopDecision, type PodPhase,
} from './pod-status.js';
