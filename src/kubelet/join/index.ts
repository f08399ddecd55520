// Joining a cluster: the node token (k3s format) and joinCluster, which trades it for the node's
// client and kubelet serving certificates and its pod CIDR (cached under <dataDir>/kubelet/pki/).
export { JoinError, parseNodeToken, type NodeToken } from './token.js';
export { joinCluster, pkiDir, type JoinOptions, type JoinResult } from './join.js';
