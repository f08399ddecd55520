// The scheduler's decisions: filters, scores and one scheduling cycle, as pure functions.
export {
  DEFAULT_FILTERS, FilterReasons, effectiveTaints, nodeAffinity, nodeName, nodePorts, nodeResourcesFit, nodeUnschedulable,
  taintToleration, termMatches, toleratesTaint, type Filter, type FilterCode, type FilterStatus,
} from './filters.js';
export { DEFAULT_SCORES, MAX_NODE_SCORE, defaultNormalize, sameWorkload, type ScoreContext, type ScorePlugin } from './scores.js';
export { NO_NODES_MESSAGE, fitErrorMessage, schedule, scheduledMessage, type PodsOnNodes, type ScheduleOptions, type ScheduleResult, type SchedulerEvent } from './schedule.js';
export { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, allocatable, podRequests, requestedOn, type ResourceList } from './resources.js';
