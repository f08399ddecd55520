// Console sessions: `POST /c/login` (form fields `principal`, `password`, as Harbor's
// src/core/controllers/base.go Login) sets the `sid` cookie; `GET /c/log_out` ends it. A
// session carries a CSRF token, sent back in `X-Harbor-CSRF-Token` (Harbor's header, from
// src/server/middleware/csrf/csrf.go); cookie-authenticated unsafe requests must echo it.
// Robots cannot log into the console (Harbor's rule); sessions live in memory and end with the
// process or after SESSION_TTL_MS idle.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'sid';
export const CSRF_HEADER = 'x-harbor-csrf-token';
/** Harbor's default session timeout is 60 minutes. */
export const SESSION_TTL_MS = 60 * 60_000;

/** One signed-in console user. */
export interface Session {
  userId: number;
  csrf: string;
  expires: number;
}

/** In-memory sessions keyed by a random id. */
export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly now: () => Date) {}

  /** Starts a session; returns its id and CSRF token. */
  create(userId: number): { sid: string; session: Session } {
    const sid = randomBytes(32).toString('base64url');
    const session = { userId, csrf: randomBytes(32).toString('base64url'), expires: this.now().getTime() + SESSION_TTL_MS };
    if (this.byId.size > 10_000) this.sweep();
    this.byId.set(sid, session);
    return { sid, session };
  }

  /** The live session for an id (sliding expiry), undefined when unknown or expired. */
  get(sid: string | undefined): Session | undefined {
    if (!sid) return undefined;
    const s = this.byId.get(sid);
    const t = this.now().getTime();
    if (!s || s.expires <= t) {
      if (s) this.byId.delete(sid);
      return undefined;
    }
    s.expires = t + SESSION_TTL_MS;
    return s;
  }

  /** Ends a session (log out). */
  delete(sid: string | undefined): void {
    if (sid) this.byId.delete(sid);
  }

  /** Ends every session of a user (deleted user, changed password). */
  deleteUser(userId: number): void {
    for (const [k, s] of this.byId) if (s.userId === userId) this.byId.delete(k);
  }

  private sweep(): void {
    const t = this.now().getTime();
    for (const [k, s] of this.byId) if (s.expires <= t) this.byId.delete(k);
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
