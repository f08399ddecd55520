// The kubelet's back-offs use the shared client-go-style Backoff (src/common/backoff.ts): image
// pulls at 10 s doubling to 300 s keyed `<podUID>_<image>`, and, in the pod workers,
// CrashLoopBackOff.
export { Backoff, type BackoffOptions, type NowFn as Clock } from '../../common/backoff.js';

/** The image pull back-off constants (k/k pkg/kubelet/kubelet.go imageBackOffPeriod, MaxImageBackOff). */
export const IMAGE_BACKOFF_INITIAL_MS = 10_000;
export const IMAGE_BACKOFF_MAX_MS = 300_000;
