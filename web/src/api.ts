// The console's client for Harbor's REST API (/api/v2.0) and session endpoints (/c/login,
// /c/log_out). The session is the HttpOnly `sid` cookie the browser sends by itself; every
// state-changing request carries the session's CSRF token in X-Harbor-CSRF-Token, which the
// API returns on login and on every cookie-authenticated response.

const CSRF_HEADER = 'X-Harbor-CSRF-Token';
let csrf = '';

/** An API request that failed: the HTTP status and the API's own message. */
export class ApiFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/** One page of a list and the total the API reported in X-Total-Count. */
export interface Page<T> {
  items: T[];
  total: number;
}

function remember(res: Response): void {
  const t = res.headers.get(CSRF_HEADER);
  if (t) csrf = t;
}

async function failure(res: Response): Promise<ApiFailure> {
  let message = `${res.status} ${res.statusText}`.trim();
  try {
    const body = (await res.json()) as { errors?: { message?: string }[] };
    const m = body.errors?.[0]?.message;
    if (m) message = m;
  } catch {
    // Not a JSON error body: keep the status line.
  }
  return new ApiFailure(res.status, message);
}

type Answer = { res: Response; data: any };
/** GETs started early (while the signed-in user is still being resolved), taken once by `call`. */
const prefetched = new Map<string, Promise<Answer>>();

/**
 * Starts GETs a page is about to make, so they run in parallel with each other and with the
 * session check instead of one after another. Entries not taken by the next render are dropped.
 */
export function prefetch(paths: string[]): void {
  prefetched.clear();
  for (const p of paths) {
    const pr = send('GET', p);
    pr.catch(() => undefined); // the page that takes it sees the failure
    prefetched.set(p, pr);
  }
}

/** Sends a request to /api/v2.0 + path; JSON in and out; throws ApiFailure on a non-2xx. */
export async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  if (method === 'GET') {
    const early = prefetched.get(path);
    if (early) {
      prefetched.delete(path);
      return early;
    }
  }
  return send(method, path, body);
}

async function send(method: string, path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    if (!csrf) await send('GET', '/users/current').catch(() => undefined);
    headers[CSRF_HEADER] = csrf;
  }
  const res = await fetch(`/api/v2.0${path}`, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  remember(res);
  if (!res.ok) throw await failure(res);
  const text = await res.text();
  return { res, data: text ? JSON.parse(text) : undefined };
}

/** GET of a list page (`page`, `page_size` and any query), with its X-Total-Count. */
export async function list<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<Page<T>> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const { res, data } = await call('GET', `${path}${q.size ? `?${q.toString()}` : ''}`);
  const total = Number(res.headers.get('X-Total-Count') ?? (Array.isArray(data) ? data.length : 0));
  return { items: (data ?? []) as T[], total };
}

/** POST /c/login with form fields `principal` and `password` (Harbor's console login). */
export async function login(principal: string, password: string): Promise<void> {
  const res = await fetch('/c/login', {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ principal, password }).toString(),
  });
  if (!res.ok) throw await failure(res);
  remember(res);
}

/** GET /c/log_out: ends the session and clears the cookie. */
export async function logout(): Promise<void> {
  await fetch('/c/log_out', { credentials: 'same-origin', cache: 'no-store' });
  csrf = '';
}

/** Harbor's path encoding of a repository name inside a project: `a/b` -> `a%252Fb`. */
export function repoPath(name: string): string {
  return encodeURIComponent(encodeURIComponent(name));
}

/** The models the console reads (harbor api/v2.0/swagger.yaml). */
export interface User { user_id: number; username: string; sysadmin_flag: boolean }
export interface Project {
  project_id: number; name: string; creation_time: string; repo_count: number;
  metadata: { public?: string }; current_user_role_id: number; owner_name?: string;
}
export interface Repository { id: number; name: string; artifact_count: number; pull_count: number; update_time: string; creation_time: string }
export interface Tag { name: string; push_time: string; pull_time: string }
export interface Artifact { digest: string; size: number; push_time: string; pull_time: string; tags: Tag[] | null; media_type: string }
export interface RobotAccess { resource: string; action: string; effect?: string }
export interface Robot {
  id: number; name: string; description: string; level: string; duration: number; disable: boolean;
  expires_at: number; creation_time: string; permissions: { kind: string; namespace: string; access: RobotAccess[] }[];
}
export interface Member { id: number; entity_name: string; role_id: number; role_name: string; entity_id: number }
