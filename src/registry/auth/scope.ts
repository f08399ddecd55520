// The Docker token scope grammar (distribution docs/spec/auth/scope.md) and the arithmetic on
// scopes: parse, merge duplicates, intersect what was asked with what is allowed, format.
import type { Action, Scope } from '../access.js';

const KNOWN_ACTIONS: ReadonlySet<string> = new Set(['pull', 'push', 'delete', '*']);
const TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
/** Repository actions `*` stands for when a client asks for it on a repository. */
const REPOSITORY_ACTIONS: Action[] = ['pull', 'push', 'delete'];

/**
 * Parses one resource scope `type:name:action[,action]`. The name may itself contain `:` (a
 * registry host with a port), so the type ends at the first `:` and the actions start after the
 * last one. A class suffix `repository(plugin)` is accepted and dropped (deprecated in the
 * spec). Unknown actions are dropped, actions are deduplicated and sorted. Returns undefined
 * for text that is not a scope at all.
 */
export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const rawType = text.slice(0, first);
  const name = text.slice(first + 1, last);
  if (!TYPE.test(rawType) || name === '') return undefined;
  const type = rawType.replace(/\(.*\)$/, '');
  if (type !== 'repository' && type !== 'registry') return undefined;
  const actions = new Set<Action>();
  for (const a of text.slice(last + 1).split(',')) {
    const t = a.trim();
    if (!KNOWN_ACTIONS.has(t)) continue;
    if (t === '*' && type === 'repository') REPOSITORY_ACTIONS.forEach((x) => actions.add(x));
    else actions.add(t as Action);
  }
  return { type, name, actions: sortActions(actions) };
}

function sortActions(actions: Iterable<Action>): Action[] {
  return [...new Set(actions)].sort();
}

/**
 * Parses every `scope` value of a token request: each value may hold several scopes separated
 * by spaces (the OAuth2 form sends one space-separated value; the GET form repeats `scope`).
 * Scopes naming the same resource are merged; unparseable pieces are ignored.
 */
export function parseScopes(values: string[]): Scope[] {
  const byKey = new Map<string, Scope>();
  for (const v of values) {
    for (const piece of v.split(' ')) {
      if (piece === '') continue;
      const s = parseScope(piece);
      if (!s) continue;
      const key = `${s.type}:${s.name}`;
      const prev = byKey.get(key);
      byKey.set(key, prev ? { ...prev, actions: sortActions([...prev.actions, ...s.actions]) } : s);
    }
  }
  return [...byKey.values()];
}

/** `repository:p/r:pull,push`, as challenges and token requests write scopes. */
export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/**
 * For each requested scope, the requested actions that `allowed` permits (possibly none: the
 * token spec grants an empty action list rather than failing). Never grants an action that was
 * not asked for.
 */
export function intersect(requested: Scope[], allowed: (s: Scope) => ReadonlySet<Action>): Scope[] {
  return requested.map((s) => {
    const ok = allowed(s);
    return { type: s.type, name: s.name, actions: s.actions.filter((a) => ok.has(a) || ok.has('*')) };
  });
}

/** Whether the granted scopes cover every action of `required` (an action `*` covers all). */
export function covers(granted: Scope[], required: Scope): boolean {
  const have = new Set<Action>();
  for (const g of granted) {
    if (g.type === required.type && g.name === required.name) g.actions.forEach((a) => have.add(a));
  }
  return required.actions.every((a) => have.has(a) || have.has('*'));
}
