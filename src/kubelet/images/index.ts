// The kubelet's image handling: pull policy, back-off, events and pulls with credentials.
export { Backoff, IMAGE_BACKOFF_INITIAL_MS, IMAGE_BACKOFF_MAX_MS, type BackoffOptions, type Clock } from './backoff.js';
export { EventReason, goQuote, messages, type ImageEvent, type ImagePullFailureReason } from './events.js';
export { formatGoDuration, formatPullDuration } from './go-duration.js';
export {
  ImageManager, applyDefaultImageTag, evalCriPullError,
  type EnsureImageRequest, type EnsureImageResult, type ImageEventSink, type ImageManagerOptions, type PullPolicy,
} from './image-manager.js';
export {
  PULL_QPS_EXCEEDED, Puller, TokenBucket, aggregateErrors, pullWithCredentials, toAuthConfig,
  type PullRequest, type PullResult, type PullerOptions,
} from './puller.js';
export {
  FsPullRecordStore, MAX_COORDINATES_PER_IMAGE, MemoryPullRecordStore, allowlisted, credentialHash, decideAccess, recordPull,
  type AccessDecision, type CredentialMapping, type PodCredentials, type PullRecordStore, type PulledRecord, type VerificationPolicy,
} from './pulled-records.js';
