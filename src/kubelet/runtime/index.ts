// The kubelet's container runtime seam: the Runtime interface, its error class, and the CRI
// (production) and fake (tests) implementations.
export * from './types.js';
export { CriRuntime, CRI_API_VERSION, DEFAULT_REQUEST_TIMEOUT_MS, type CriRuntimeOptions } from './cri/index.js';
export { FakeRuntime, type FakeCall, type PullHook } from './fake/index.js';
