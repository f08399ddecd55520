import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action, Scope } from '../access.js';
import { covers, formatScope, intersect, parseScope, parseScopes } from './scope.js';

test('parseScope: the grammar of distribution docs/spec/auth/scope.md', () => {
  const cases: Array<{ name: string; in: string; want: Scope | undefined }> = [
    { name: 'pull', in: 'repository:library/busybox:pull', want: { type: 'repository', name: 'library/busybox', actions: ['pull'] } },
    { name: 'docker order push,pull', in: 'repository:p/r:push,pull', want: { type: 'repository', name: 'p/r', actions: ['pull', 'push'] } },
    { name: 'containerd order pull,push', in: 'repository:p/r:pull,push', want: { type: 'repository', name: 'p/r', actions: ['pull', 'push'] } },
    { name: 'host with port in the name', in: 'repository:127.0.0.1:5000/p/r:pull', want: { type: 'repository', name: '127.0.0.1:5000/p/r', actions: ['pull'] } },
    { name: 'catalog', in: 'registry:catalog:*', want: { type: 'registry', name: 'catalog', actions: ['*'] } },
    { name: 'repository star expands', in: 'repository:p/r:*', want: { type: 'repository', name: 'p/r', actions: ['delete', 'pull', 'push'] } },
    { name: 'class suffix dropped', in: 'repository(plugin):p/r:pull', want: { type: 'repository', name: 'p/r', actions: ['pull'] } },
    { name: 'unknown actions dropped, duplicates merged', in: 'repository:p/r:pull,scanner-pull,pull,', want: { type: 'repository', name: 'p/r', actions: ['pull'] } },
    { name: 'empty action list', in: 'repository:p/r:', want: { type: 'repository', name: 'p/r', actions: [] } },
    { name: 'no actions part', in: 'repository:p/r', want: undefined },
    { name: 'unknown type', in: 'plugin:p/r:pull', want: undefined },
    { name: 'upper case type', in: 'Repository:p/r:pull', want: undefined },
    { name: 'empty name', in: 'repository::pull', want: undefined },
    { name: 'garbage', in: 'pull', want: undefined },
  ];
  for (const c of cases) assert.deepEqual(parseScope(c.in), c.want, c.name);
});

test('parseScopes: several params, space-separated lists, duplicates merged', () => {
  const got = parseScopes(['repository:a/b:pull repository:c/d:push', 'repository:a/b:push', '', 'junk']);
  assert.deepEqual(got, [
    { type: 'repository', name: 'a/b', actions: ['pull', 'push'] },
    { type: 'repository', name: 'c/d', actions: ['push'] },
  ]);
});

test('intersect grants only what was asked and is allowed', () => {
  const allowed = (s: Scope): ReadonlySet<Action> => new Set<Action>(s.name === 'a/b' ? ['pull'] : s.name === 'x/y' ? ['pull', 'push', 'delete'] : []);
  const cases = [
    { name: 'partial grant', req: 'repository:a/b:pull,push', want: ['pull'] },
    { name: 'nothing allowed is an empty list, not an error', req: 'repository:secret/r:pull', want: [] },
    { name: 'never more than asked', req: 'repository:x/y:pull', want: ['pull'] },
  ];
  for (const c of cases) {
    const [g] = intersect(parseScopes([c.req]), allowed);
    assert.deepEqual(g.actions, c.want, c.name);
  }
});

test('covers and formatScope', () => {
  const granted = parseScopes(['repository:a/b:pull,push registry:catalog:*']);
  assert.equal(covers(granted, { type: 'repository', name: 'a/b', actions: ['push', 'pull'] }), true);
  assert.equal(covers(granted, { type: 'repository', name: 'a/b', actions: ['delete'] }), false);
  assert.equal(covers(granted, { type: 'repository', name: 'a/c', actions: ['pull'] }), false);
  assert.equal(covers(granted, { type: 'registry', name: 'catalog', actions: ['*'] }), true);
  assert.equal(formatScope(granted[0]), 'repository:a/b:pull,push');
});
