// The node lifecycle controller's decisions: node health, condition taints, taint-based eviction.
export {
  NODE_MONITOR_GRACE_PERIOD_MS, NODE_STARTUP_GRACE_PERIOD_MS, TaintKeys, desiredTaints, evictionFor, evictionRecord,
  planNodeHealth, toleratesTaint, type EvictionDecision, type NodeHealthOptions, type NodeHealthPlan,
} from './lifecycle.js';
