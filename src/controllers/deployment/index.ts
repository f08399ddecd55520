// The deployment controller's decisions: rollout arithmetic and one sync pass as a pure function.
export { planDeployment, resolveCreateConflict, type DeploymentPlan } from './plan.js';
export { rolloutStatus, type RolloutStatus } from './rollout-status.js';
export {
  POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION, Reasons, computeHash, equalIgnoreHash, maxSurge, maxUnavailable, resolveFenceposts,
  scaledValue, revisionOf,
} from './util.js';
