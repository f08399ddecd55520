// Service account tokens for projected volumes, from the TokenRequest subresource and cached the
// way upstream's kubelet token manager does (k/k pkg/kubelet/token/token_manager.go): a cached
// token is reused until 80 % of its lifetime has passed (or 24 h since issue), then requested
// again; when the refresh fails a token that has not expired is kept.
// Upstream adds up to 10 s of random jitter to the refresh point; this does not, so that the
// refresh moment is exact under an injected clock.
import { RESOURCES, resourcePath, type Client } from '../../client/index.js';

/** What a projected serviceAccountToken source asks for, bound to one pod. */
export interface TokenSpec {
  namespace: string;
  serviceAccount: string;
  /** `[audience]` or empty for the API server's default audience. */
  audiences: string[];
  expirationSeconds: number;
  pod: { name: string; uid: string };
}

interface CachedToken {
  token: string;
  /** ms since the epoch. */
  expiresAt: number;
  expirationSeconds: number;
  podUid: string;
}

/** The longest a token is used before it is refreshed regardless of its lifetime (maxTTL). */
const MAX_TTL_MS = 24 * 3600 * 1000;

/** Fetches and caches tokens; one per node agent, shared by every pod's volumes. */
export class TokenManager {
  private readonly cache = new Map<string, CachedToken>();

  /** `now` is injectable for tests (ms since the epoch). */
  constructor(private readonly client: Client, private readonly now: () => number = Date.now) {}

  private static key(s: TokenSpec): string {
    return JSON.stringify([s.serviceAccount, s.namespace, s.audiences, s.expirationSeconds, s.pod.uid]);
  }

  private requiresRefresh(t: CachedToken): boolean {
    const now = this.now();
    const issuedAt = t.expiresAt - t.expirationSeconds * 1000;
    if (now > issuedAt + MAX_TTL_MS) return true;
    return now > t.expiresAt - Math.trunc((t.expirationSeconds * 20) / 100) * 1000;
  }

  /**
   * The token for `spec`, from the cache while it is fresh. Rejects with upstream's texts:
   * `failed to fetch token: <err>` when there is none yet, `token <key> expired and refresh
   * failed: <err>` when the cached one has expired.
   */
  async get(spec: TokenSpec): Promise<string> {
    const key = TokenManager.key(spec);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached.token;
    try {
      const fresh = await this.request(spec);
      this.cache.set(key, fresh);
      return fresh.token;
    } catch (e) {
      const msg = (e as Error).message;
      if (!cached) throw new Error(`failed to fetch token: ${msg}`, { cause: e });
      if (this.now() >= cached.expiresAt) throw new Error(`token ${key} expired and refresh failed: ${msg}`, { cause: e });
      return cached.token;
    }
  }

  /** Forgets the tokens bound to a pod (its volumes were torn down). */
  deletePodTokens(podUid: string): void {
    for (const [k, v] of this.cache) if (v.podUid === podUid) this.cache.delete(k);
  }

  private async request(spec: TokenSpec): Promise<CachedToken> {
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(spec.audiences.length ? { audiences: spec.audiences } : {}),
        expirationSeconds: spec.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: spec.pod.name, uid: spec.pod.uid },
      },
    };
    const path = resourcePath(RESOURCES.serviceaccounts, spec.namespace, spec.serviceAccount, 'token');
    const tr = await this.client.request<{ spec?: { expirationSeconds?: number }; status?: { token?: string; expirationTimestamp?: string } }>('POST', path, body);
    const token = tr?.status?.token;
    const exp = Date.parse(tr?.status?.expirationTimestamp ?? '');
    if (!token || Number.isNaN(exp)) throw new Error('the TokenRequest answer carries no token');
    return { token, expiresAt: exp, expirationSeconds: tr.spec?.expirationSeconds ?? spec.expirationSeconds, podUid: spec.pod.uid };
  }
}
