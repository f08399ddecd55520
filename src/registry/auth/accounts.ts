// Accounts: who a set of credentials or a token subject is. Users log in with their password,
// robots with their secret under their full name (`robot$proj+name`, `robot$name`). Checks are
// scrypt-slow by design, so successful checks are remembered briefly under an HMAC of the
// credentials (keyed by a per-process random key) and revalidated against the account's
// credential version, so a password change or secret refresh takes effect at once.
import { createHmac, randomBytes } from 'node:crypto';
import type { MetaStore, Robot, User } from '../meta/index.js';
import { verifyPassword } from '../meta/index.js';

/** An authenticated account. */
export type Account =
  | { kind: 'user'; name: string; user: User }
  | { kind: 'robot'; name: string; robot: Robot };

/** The outcome of a credential check. */
export type AuthOutcome = { ok: true; account: Account } | { ok: false; throttled: boolean };

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 1000;
/** Failed logins allowed per (client, name) within FAIL_WINDOW_MS before answers are refused. */
export const MAX_FAILURES = 10;
const FAIL_WINDOW_MS = 5 * 60_000;

/** Resolves credentials and token subjects to live accounts. */
export class Accounts {
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, { kind: 'user' | 'robot'; id: number; ver: number; until: number }>();
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly inflight = new Map<string, Promise<AuthOutcome>>();

  constructor(
    private readonly store: MetaStore,
    readonly robotPrefix: string,
    private readonly now: () => Date,
  ) {}

  /** A robot's login name: `<prefix><project>+<name>` (project level) or `<prefix><name>`. */
  robotFullName(r: Robot): string {
    if (r.level === 'project') {
      const p = r.projectId !== null ? this.store.getProject(r.projectId) : undefined;
      return `${this.robotPrefix}${p?.name ?? ''}+${r.name}`;
    }
    return `${this.robotPrefix}${r.name}`;
  }

  /** Finds a robot by login name, whatever its state. */
  findRobot(fullName: string): Robot | undefined {
    if (!fullName.startsWith(this.robotPrefix)) return undefined;
    const rest = fullName.slice(this.robotPrefix.length);
    const plus = rest.indexOf('+');
    if (plus < 0) return this.store.findRobot('system', null, rest);
    const project = this.store.getProject(rest.slice(0, plus));
    return project ? this.store.findRobot('project', project.id, rest.slice(plus + 1)) : undefined;
  }

  /** Whether a robot may be used now: enabled and not expired (expires_at -1 = never). */
  robotUsable(r: Robot): boolean {
    return !r.disabled && (r.expiresAt === -1 || r.expiresAt * 1000 > this.now().getTime());
  }

  /**
   * Checks a login name and password (or robot secret). `client` (the remote address) keys the
   * brute-force throttle. Unknown names cost as much as wrong passwords.
   */
  async authenticate(name: string, password: string, client = ''): Promise<AuthOutcome> {
    const failKey = `${client}\0${name}`;
    const t = this.now().getTime();
    const f = this.failures.get(failKey);
    if (f && t - f.since < FAIL_WINDOW_MS && f.count >= MAX_FAILURES) return { ok: false, throttled: true };

    const key = createHmac('sha256', this.cacheKey).update(name).update('\0').update(password).digest('base64url');
    const hit = this.cache.get(key);
    if (hit && hit.until > t) {
      const account = this.load(hit.kind, hit.id);
      if (account && this.version(account) === hit.ver && this.usable(account)) return { ok: true, account };
      this.cache.delete(key);
    }

    // Identical checks in flight (20 parallel pulls with one login) share one scrypt run.
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.check(name, password, key, failKey, t).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async check(name: string, password: string, key: string, failKey: string, t: number): Promise<AuthOutcome> {
    const robot = this.findRobot(name);
    const user = robot ? undefined : this.store.getUserByName(name);
    const stored = robot?.secretHash ?? user?.passwordHash;
    const ok = await verifyPassword(password, stored);
    const account: Account | undefined = !ok ? undefined
      : robot ? { kind: 'robot', name, robot } : user ? { kind: 'user', name: user.username, user } : undefined;
    if (!account || !this.usable(account)) {
      const f = this.failures.get(failKey);
      const cur = f && t - f.since < FAIL_WINDOW_MS ? f : { count: 0, since: t };
      cur.count++;
      this.failures.set(failKey, cur);
      if (this.failures.size > 10_000) this.failures.clear();
      return { ok: false, throttled: false };
    }
    this.failures.delete(failKey);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, { kind: account.kind, id: account.kind === 'user' ? account.user.id : account.robot.id, ver: this.version(account), until: t + CACHE_TTL_MS });
    return { ok: true, account };
  }

  /** Re-reads the account a token names; undefined when it is gone, disabled or expired. */
  resolve(kind: 'user' | 'robot', name: string): Account | undefined {
    if (kind === 'user') {
      const user = this.store.getUserByName(name);
      return user ? { kind: 'user', name: user.username, user } : undefined;
    }
    const robot = this.findRobot(name);
    return robot && this.robotUsable(robot) ? { kind: 'robot', name, robot } : undefined;
  }

  /** The account's current credential version (refresh tokens must match it). */
  version(a: Account): number {
    return a.kind === 'user' ? a.user.credentialVersion : a.robot.credentialVersion;
  }

  private usable(a: Account): boolean {
    return a.kind === 'user' || this.robotUsable(a.robot);
  }

  private load(kind: 'user' | 'robot', id: number): Account | undefined {
    if (kind === 'user') {
      const user = this.store.getUser(id);
      return user && { kind, name: user.username, user };
    }
    const robot = this.store.getRobot(id);
    return robot && { kind, name: this.robotFullName(robot), robot };
  }
}
