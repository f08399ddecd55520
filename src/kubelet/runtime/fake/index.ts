// In-memory Runtime for tests.
export { FakeRuntime, type FakeCall, type PullHook } from './fake-runtime.js';
