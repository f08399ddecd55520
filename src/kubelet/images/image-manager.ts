// The image manager: EnsureImageExists as upstream's kubelet 1.32 runs it
// (k/k pkg/kubelet/images/image_manager.go; reference kubelet-images.md §2.2-2.4):
//
//   default tag ──bad──▶ InspectFailed event, InvalidImageName
//        │
//   policy Always ─────────────────────────────┐
//   IfNotPresent/Never: ImageStatus            │
//        ├─ error ──▶ InspectFailed, ImageInspectError
//        ├─ present, and the pod may use it (pulled-records.ts) ──▶ Pulled "already present on machine", ok
//        └─ absent (or present but not the pod's to use) + Never ──▶ ErrImageNeverPull event and reason
//                                              ▼
//   in back-off (key <podUID>_<image>) ──▶ BackOff event (Normal), ImagePullBackOff
//   Pulling event ─▶ puller (keyring, credentials in order) ─▶ Pulled "Successfully pulled ..."
//                                                       └──▶ Failed event, back-off, ErrImagePull
//
// Beyond 1.32 (issue 4 item 7, KEP-2535): a cached image the pod may not use counts as absent;
// `verification.policy: 'NeverVerify'` restores 1.32. Outcomes are values: `{ ok: false, reason, message }` goes straight into the container's
// waiting state. Events go to the caller's sink, which records them on the container.
import { parseImageName } from '../../api/image-reference.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { makePodKeyring, type Keyring, type PullSecret } from '../credentials/keyring.js';
import type { PodSandboxConfig, Runtime } from '../runtime/types.js';
import { Backoff, IMAGE_BACKOFF_INITIAL_MS, IMAGE_BACKOFF_MAX_MS, type Clock } from './backoff.js';
import { EventReason, messages, type ImageEvent, type ImagePullFailureReason } from './events.js';
import { Puller, type PullerOptions } from './puller.js';
import { MemoryPullRecordStore, decideAccess, recordPull, type PullRecordStore, type VerificationPolicy } from './pulled-records.js';

/** A container's imagePullPolicy. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** What EnsureImageExists needs to know about one container start. */
export interface EnsureImageRequest {
  /** The pod's UID: half of the back-off key. */
  podUid: string;
  /** The container's `image`, exactly as the user wrote it. */
  image: string;
  pullPolicy: PullPolicy;
  /** The pod's imagePullSecrets that could be fetched. */
  pullSecrets?: PullSecret[];
  /** The pod's sandbox config, passed to PullImage. */
  sandboxConfig?: PodSandboxConfig;
  signal?: AbortSignal;
}

/** The outcome: the image reference to create the container from, or why not. */
export type EnsureImageResult =
  | { ok: true; imageRef: string; message: string }
  | { ok: false; reason: ImagePullFailureReason; message: string };

/** Receives the events of one EnsureImageExists call. */
export type ImageEventSink = (event: ImageEvent) => void;

/** The manager's dependencies. */
export interface ImageManagerOptions {
  runtime: Runtime;
  /** The node's credentials (NodeKeyring); pod secrets are put ahead of them per pull. */
  nodeKeyring: Keyring;
  /** Serial/parallel pulls and QPS (kubelet defaults when absent). */
  puller?: PullerOptions;
  now?: Clock;
  log?: Logger;
  /**
   * Who may use a cached private image (pulled-records.ts). Default: policy
   * `NeverVerifyPreloadedImages` with records in memory; the agent passes an FsPullRecordStore
   * under its data dir. Policy `NeverVerify` is upstream 1.32's behaviour.
   */
  verification?: { policy: VerificationPolicy; allowlist?: string[]; store?: PullRecordStore };
}

/** The prefix/reason pairs of evalCRIPullErr (k8s.io/cri-api/pkg/errors). */
const CRI_PULL_ERRORS: [prefix: string, reason: ImagePullFailureReason, because: string][] = [
  ['RegistryUnavailable', 'RegistryUnavailable', 'the registry is unavailable'],
  ['SignatureValidationFailed', 'SignatureValidationFailed', 'the signature validation failed'],
];

/**
 * evalCRIPullErr: a runtime error text starting with a CRI sentinel becomes that reason with
 * `image pull failed for <image> because ...<rest>`; anything else is ErrImagePull with the
 * raw text.
 */
export function evalCriPullError(image: string, errText: string): { reason: ImagePullFailureReason; message: string } {
  for (const [prefix, reason, because] of CRI_PULL_ERRORS) {
    if (errText.startsWith(prefix)) return { reason, message: `image pull failed for ${image} because ${because}${errText.slice(prefix.length)}` };
  }
  return { reason: 'ErrImagePull', message: errText };
}

/**
 * applyDefaultImageTag: appends `:latest` when the reference has neither tag nor digest
 * (textually: `busybox` -> `busybox:latest`), or returns the parse error.
 */
export function applyDefaultImageTag(image: string): { ok: true; image: string } | { ok: false; error: string } {
  const r = parseImageName(image);
  if (!r.ok) return { ok: false, error: r.error };
  if (r.digest === '' && r.tag !== '' && !image.endsWith(`:${r.tag}`)) return { ok: true, image: `${image}:${r.tag}` };
  return { ok: true, image };
}

/** The image manager of one node. */
export class ImageManager {
  /** The pull back-off table, keyed `<podUID>_<image>`. */
  readonly backoff: Backoff;
  private readonly puller: Puller;
  private readonly runtime: Runtime;
  private readonly nodeKeyring: Keyring;
  private readonly now: Clock;
  private readonly log: Logger;
  /** Last pull error per back-off key, as `<Reason>: <message>` (v1.32, PR #127918). */
  private readonly prevPullErr = new Map<string, string>();
  private readonly policy: VerificationPolicy;
  private readonly allowlist: string[];
  /** Pull intents and records of who may use which cached image. */
  readonly records: PullRecordStore;

  /** Nothing is pulled until ensureImageExists. */
  constructor(opts: ImageManagerOptions) {
    this.runtime = opts.runtime;
    this.nodeKeyring = opts.nodeKeyring;
    this.now = opts.now ?? Date.now;
    this.backoff = new Backoff({ initialMs: IMAGE_BACKOFF_INITIAL_MS, maxMs: IMAGE_BACKOFF_MAX_MS, now: this.now });
    this.puller = new Puller(this.runtime, { ...opts.puller, now: opts.puller?.now ?? this.now });
    this.log = (opts.log ?? silentLogger).child({ component: 'image-manager' });
    this.policy = opts.verification?.policy ?? 'NeverVerifyPreloadedImages';
    this.allowlist = opts.verification?.allowlist ?? [];
    this.records = opts.verification?.store ?? new MemoryPullRecordStore();
  }

  /**
   * May the pod use the present image without pulling? A malformed pod secret presents no
   * credentials here (the pull that follows reports the parse error).
   */
  private mayUsePresent(req: EnsureImageRequest, image: string, repository: string, imageRef: string): boolean {
    let secretCredentials: ReturnType<Keyring['lookup']>;
    try {
      secretCredentials = makePodKeyring(req.pullSecrets ?? [], { lookup: () => [] }).lookup(repository);
    } catch {
      secretCredentials = [];
    }
    const d = decideAccess({
      policy: this.policy, allowlist: this.allowlist, repository, image, imageRef,
      record: this.records.getPulled(imageRef), intent: this.records.hasIntent(image), pod: { secretCredentials }, now: this.now,
    });
    if (!d.mustPull && d.update) this.records.putPulled(d.update);
    return !d.mustPull;
  }

  /**
   * Makes sure the container's image is present according to its pull policy, pulling it with
   * the pod's and the node's credentials when needed. Called by the pod worker before each
   * container (re)start; emits the events upstream emits, returns the waiting reason on failure.
   */
  async ensureImageExists(req: EnsureImageRequest, record: ImageEventSink): Promise<EnsureImageResult> {
    const emit = (type: ImageEvent['type'], reason: string, message: string): void => record({ type, reason, message });
    const tagged = applyDefaultImageTag(req.image);
    if (!tagged.ok) {
      const message = messages.invalidImageName(req.image, tagged.error);
      emit('Warning', EventReason.InspectFailed, message);
      return { ok: false, reason: 'InvalidImageName', message };
    }
    const image = tagged.image;
    const parsed = parseImageName(image);
    const repository = parsed.ok ? parsed.repository : image;

    if (req.pullPolicy !== 'Always') {
      let present: string | undefined;
      try {
        present = (await this.runtime.imageStatus(image, { signal: req.signal }))?.id;
      } catch (e) {
        const message = messages.inspectFailed((e as Error).message);
        emit('Warning', EventReason.InspectFailed, message);
        return { ok: false, reason: 'ImageInspectError', message };
      }
      // A present image the pod may not use is treated as absent: IfNotPresent pulls with the
      // pod's credentials (verifying access), Never fails with the absent-image text.
      if (present && this.mayUsePresent(req, image, repository, present)) {
        const message = messages.alreadyPresent(req.image);
        emit('Normal', EventReason.Pulled, message);
        return { ok: true, imageRef: present, message };
      }
      if (req.pullPolicy === 'Never') {
        const message = messages.neverPull(req.image);
        emit('Warning', EventReason.ErrImageNeverPull, message);
        return { ok: false, reason: 'ErrImageNeverPull', message };
      }
    }

    const key = `${req.podUid}_${req.image}`;
    if (this.backoff.isInBackOffSinceUpdate(key, this.now())) {
      const event = messages.backOff(req.image);
      emit('Normal', EventReason.BackOff, event);
      const prev = this.prevPullErr.get(key);
      return { ok: false, reason: 'ImagePullBackOff', message: prev ? `${event}: ${prev}` : event };
    }
    this.prevPullErr.delete(key);

    emit('Normal', EventReason.Pulling, messages.pulling(req.image));
    const queuedAt = this.now();
    this.log.info({ image: req.image, pod: req.podUid }, 'pulling image');
    this.records.writeIntent(image);
    const result = await this.puller.pull({
      image, repository, sandbox: req.sandboxConfig, signal: req.signal,
      keyring: () => makePodKeyring(req.pullSecrets ?? [], this.nodeKeyring),
    });
    if (result.imageRef && !result.error) {
      this.records.putPulled(recordPull(this.records.getPulled(result.imageRef), result.imageRef, repository, result.credential, this.now));
    }
    this.records.deleteIntent(image);
    if (result.error || !result.imageRef) {
      const errText = result.error?.message ?? 'the runtime returned no image reference';
      emit('Warning', EventReason.Failed, messages.failedToPull(req.image, errText));
      this.backoff.next(key, this.now());
      const { reason, message } = evalCriPullError(req.image, errText);
      this.prevPullErr.set(key, `${reason}: ${message}`);
      this.log.info({ image: req.image, pod: req.podUid, reason }, 'image pull failed');
      return { ok: false, reason, message };
    }
    const totalMs = this.now() - queuedAt;
    const message = messages.pulled(req.image, result.pullMs, totalMs, result.size);
    emit('Normal', EventReason.Pulled, message);
    this.backoff.gc();
    return { ok: true, imageRef: result.imageRef, message };
  }
}
