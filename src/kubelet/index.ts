// The node agent (kubelet) and its foundations, one namespace per part:
//   runtime      the Runtime seam, CriRuntime (CRI runtime.v1 over gRPC) and FakeRuntime
//   containerd   config rendering into the data dir, the child process, preflight checks
//   images       pull policy, back-off, events, pulls with credentials, private-image records
//   credentials  the keyring from pod pull secrets and the node's docker config / registries.yaml
//   status       pod phase, conditions, container statuses, restarts and CrashLoopBackOff
//   join         the node token and joinCluster (certificates and pod CIDR from the server)
//   node         Node registration, node status and the heartbeat Lease
//   server       the kubelet HTTPS API: container logs, exec and port-forward (SPDY/WebSocket)
export * as runtime from './runtime/index.js';
export * as containerd from './containerd/index.js';
export * as images from './images/index.js';
export * as credentials from './credentials/index.js';
export * as status from './status/index.js';
export * as join from './join/index.js';
export * as node from './node/index.js';
export * as server from './server/index.js';
