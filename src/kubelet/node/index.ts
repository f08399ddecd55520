// The node's lifecycle: registering the Node, its status (capacity, nodeInfo, conditions, images)
// and the heartbeat Lease, as the upstream kubelet writes them.
export { startNodeAgent, type NodeAgent, type NodeAgentOptions } from './node-agent.js';
export {
  aggregateMessage, defaultNodeLabels, nodeImages, nodeStatusHasChanged, RuntimeState, setNodeStatus,
  MAX_IMAGES, MAX_PODS, NODE_STATUS_REPORT_FREQUENCY_MS, NODE_STATUS_UPDATE_FREQUENCY_MS,
  type NodeAddress, type NodeCondition, type NodeObject, type NodeStatusInputs,
} from './status.js';
export { createLeaseRenewer, microTime, NODE_LEASE_DURATION_SECONDS, NODE_LEASE_NAMESPACE, NODE_LEASE_RENEW_INTERVAL_MS, type LeaseRenewer } from './lease.js';
export { formatBinarySI, goArch, readMachineInfo, type MachineInfo } from './machine.js';
