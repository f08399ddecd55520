// Event reasons, waiting reasons and message texts of the kubelet's image handling, word for word
// (k/k pkg/kubelet/events/event.go, pkg/kubelet/images/types.go, image_manager.go; reference
// kubelet-images.md §1.4, §2.2-2.4).
import { formatPullDuration } from './go-duration.js';

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** Go's %q (strconv.Quote) for the strings these messages quote: image names as the user typed them. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** A Kubernetes event the caller records against the container (fieldPath `spec.containers{name}`). */
export interface ImageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Waiting reasons the image manager returns (the container status's `state.waiting.reason`). */
export type ImagePullFailureReason =
  | 'InvalidImageName'
  | 'ImageInspectError'
  | 'ErrImageNeverPull'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'RegistryUnavailable'
  | 'SignatureValidationFailed';

/** Event reasons (events.go). */
export const EventReason = {
  Pulling: 'Pulling',
  Pulled: 'Pulled',
  Failed: 'Failed',
  InspectFailed: 'InspectFailed',
  ErrImageNeverPull: 'ErrImageNeverPull',
  BackOff: 'BackOff',
  FailedToRetrieveImagePullSecret: 'FailedToRetrieveImagePullSecret',
} as const;

/** The texts, as functions of the user's image string (never the normalized one). */
export const messages = {
  invalidImageName: (image: string, parseError: string): string => `Failed to apply default image tag ${goQuote(image)}: ${parseError}`,
  // Upstream interpolates the still-empty image ref here, so the quotes are always empty.
  inspectFailed: (err: string): string => `Failed to inspect image "": ${err}`,
  neverPull: (image: string): string => `Container image ${goQuote(image)} is not present with pull policy of Never`,
  alreadyPresent: (image: string): string => `Container image ${goQuote(image)} already present on machine`,
  backOff: (image: string): string => `Back-off pulling image ${goQuote(image)}`,
  pulling: (image: string): string => `Pulling image ${goQuote(image)}`,
  pulled: (image: string, pullMs: number, totalMs: number, size: number): string =>
    `Successfully pulled image ${goQuote(image)} in ${formatPullDuration(pullMs)} (${formatPullDuration(totalMs)} including waiting). Image size: ${size} bytes.`,
  failedToPull: (image: string, err: string): string => `Failed to pull image ${goQuote(image)}: ${err}`,
  /** The `Failed` event startContainer adds after every image failure. */
  startError: (reason: string): string => `Error: ${reason}`,
  /** The pod-level warning for pull secrets that could not be fetched. */
  missingPullSecrets: (names: string[]): string =>
    `Unable to retrieve some image pull secrets (${names.join(', ')}); attempting to pull the image may not succeed.`,
};
