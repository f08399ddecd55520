import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectNameError, robotNameError, userNameError } from './names.js';

test('project, robot and user names follow Harbor\'s rules', () => {
  const cases: Array<{ name: string; fn: (s: string) => string | undefined; in: string; ok: boolean }> = [
    { name: 'project simple', fn: projectNameError, in: 'library', ok: true },
    { name: 'project separators', fn: projectNameError, in: 'a.b_c-d9', ok: true },
    { name: 'project upper', fn: projectNameError, in: 'Library', ok: false },
    { name: 'project slash', fn: projectNameError, in: 'a/b', ok: false },
    { name: 'project dots', fn: projectNameError, in: '..', ok: false },
    { name: 'project double separator', fn: projectNameError, in: 'a--b', ok: false },
    { name: 'project empty', fn: projectNameError, in: '', ok: false },
    { name: 'project 256 chars', fn: projectNameError, in: 'a'.repeat(256), ok: false },
    { name: 'robot simple', fn: robotNameError, in: 'ci-bot', ok: true },
    { name: 'robot plus', fn: robotNameError, in: 'a+b', ok: false },
    { name: 'robot dollar', fn: robotNameError, in: 'robot$x', ok: false },
    { name: 'user simple', fn: userNameError, in: 'Alice.Smith', ok: true },
    { name: 'user colon (ends Basic user)', fn: userNameError, in: 'a:b', ok: false },
    { name: 'user dollar (robot prefix)', fn: userNameError, in: 'robot$x', ok: false },
    { name: 'user comma', fn: userNameError, in: 'a,b', ok: false },
  ];
  for (const c of cases) assert.equal(c.fn(c.in) === undefined, c.ok, c.name);
  assert.equal(projectNameError('Bad'), 'project name is not in lower case or contains illegal characters');
});
