// The replicaset controller's decisions as pure functions.
export {
  BURST_REPLICAS, POD_DELETION_COST_ANNOTATION, createdEvent, deleteBefore, deletedEvent, failedCreateEvent,
  failedDeleteEvent, generatePodName, planReplicaSet, podFromTemplate, podsControlledBy, podsToDelete,
  replicaSetStatus, slowStartBatches, type ReplicaSetPlan,
} from './sync.js';
