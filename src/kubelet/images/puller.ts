// Image pulls as the kubelet performs them once it has decided to pull:
//   - credentials from the keyring, tried one by one, first success wins, no anonymous retry
//     after matching credentials fail, errors aggregated as upstream prints them
//     (k/k pkg/kubelet/kuberuntime/kuberuntime_image.go, apimachinery util/errors Aggregate);
//   - the registry QPS limit (registryPullQPS 5, registryBurst 10) that fails fast with
//     `pull QPS exceeded` (pkg/kubelet/util throttledImageService);
//   - serial (one node-wide queue, the default) or parallel pulls with an optional limit
//     (pkg/kubelet/images/puller.go), timing the pull and the wait separately.
import type { AuthConfig, PodSandboxConfig, Runtime } from '../runtime/types.js';
import type { Credential, Keyring } from '../credentials/keyring.js';
import type { Clock } from './backoff.js';

/** Aggregate.Error(): one message plainly; several, de-duplicated, as `[a, b]`. */
export function aggregateErrors(errs: Error[]): string {
  if (errs.length === 0) return '';
  if (errs.length === 1) return errs[0].message;
  const seen: string[] = [];
  for (const e of errs) if (!seen.includes(e.message)) seen.push(e.message);
  return seen.length === 1 ? seen[0] : `[${seen.join(', ')}]`;
}

/** The credentials as CRI AuthConfig; server_address stays empty so containerd applies them to every endpoint. */
export function toAuthConfig(c: Credential): AuthConfig {
  return { username: c.username, password: c.password };
}

/**
 * kuberuntime's PullImage: anonymous when the keyring has nothing for `repository`, else each
 * credential in order until one works; rejects with the aggregate of every failure.
 */
export async function pullWithCredentials(
  pull: (auth: AuthConfig | undefined) => Promise<string>,
  keyring: Keyring,
  repository: string,
): Promise<{ imageRef: string; credential?: Credential }> {
  const creds = keyring.lookup(repository);
  if (creds.length === 0) return { imageRef: await pull(undefined) };
  const errs: Error[] = [];
  for (const c of creds) {
    try {
      return { imageRef: await pull(toAuthConfig(c)), credential: c };
    } catch (e) {
      errs.push(e as Error);
    }
  }
  throw new Error(aggregateErrors(errs));
}

/** A token bucket that never waits (flowcontrol.NewTokenBucketRateLimiter + TryAccept). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `qps` tokens per second up to `burst`; qps 0 means unlimited. */
  constructor(private readonly qps: number, private readonly burst: number, private readonly now: Clock = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a token if one is available. */
  tryAccept(): boolean {
    if (this.qps <= 0) return true;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** The error of a throttled pull (throttledImageService). */
export const PULL_QPS_EXCEEDED = 'pull QPS exceeded';

/** Result of one queued pull. */
export interface PullResult {
  imageRef?: string;
  error?: Error;
  /** Size from ImageStatus after the pull, 0 when unknown. */
  size: number;
  /** Time spent in the runtime's PullImage. */
  pullMs: number;
  /** The credential that worked; absent for an anonymous pull. Never logged. */
  credential?: Credential;
}

/** How pulls are scheduled. */
export interface PullerOptions {
  /** One pull at a time node-wide (kubelet `serializeImagePulls`, default true). */
  serialize?: boolean;
  /** With serialize false: at most this many at once; undefined or < 1 means no limit. */
  maxParallel?: number;
  /** Pull requests per second (registryPullQPS, default 5; 0 disables the limit). */
  qps?: number;
  /** Burst of pull requests (registryBurst, default 10). */
  burst?: number;
  now?: Clock;
}

/** A pull request for the queue. */
export interface PullRequest {
  /** The image with its default tag applied (what goes to the runtime). */
  image: string;
  /** Normalized repository for the keyring lookup, e.g. `docker.io/library/nginx`. */
  repository: string;
  /** Builds the pod's keyring; a throw (a malformed pull secret) fails the pull with its message. */
  keyring: () => Keyring;
  sandbox?: PodSandboxConfig;
  signal?: AbortSignal;
}

/** Runs pulls against a Runtime, serially or in parallel. */
export class Puller {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;
  private readonly bucket: TokenBucket;
  private readonly now: Clock;

  /** Defaults are the kubelet's: serial, QPS 5, burst 10. */
  constructor(private readonly runtime: Runtime, opts: PullerOptions = {}) {
    const serialize = opts.serialize ?? true;
    this.limit = serialize ? 1 : opts.maxParallel && opts.maxParallel >= 1 ? opts.maxParallel : Infinity;
    this.now = opts.now ?? Date.now;
    this.bucket = new TokenBucket(opts.qps ?? 5, opts.burst ?? 10, this.now);
  }

  private async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Queues a pull and resolves with its outcome (never rejects). */
  async pull(req: PullRequest): Promise<PullResult> {
    await this.acquire();
    try {
      const start = this.now();
      try {
        const { imageRef, credential } = await pullWithCredentials((auth) => {
          if (!this.bucket.tryAccept()) return Promise.reject(new Error(PULL_QPS_EXCEEDED));
          return this.runtime.pullImage(req.image, auth, req.sandbox, { signal: req.signal });
        }, req.keyring(), req.repository);
        const pullMs = this.now() - start;
        let size = 0;
        try {
          size = (await this.runtime.imageStatus(imageRef))?.size ?? 0;
        } catch {
          // Best effort, as upstream: the size reads 0.
        }
        return { imageRef, size, pullMs, ...(credential ? { credential } : {}) };
      } catch (e) {
        return { error: e as Error, size: 0, pullMs: this.now() - start };
      }
    } finally {
      this.release();
    }
  }
}
