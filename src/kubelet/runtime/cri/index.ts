// CRI runtime.v1 over gRPC: the production Runtime.
export { CriRuntime, CRI_API_VERSION, DEFAULT_REQUEST_TIMEOUT_MS, type CriRuntimeOptions } from './cri-runtime.js';
export { fromGrpcError } from './errors.js';
export { criPackage } from './proto.js';
