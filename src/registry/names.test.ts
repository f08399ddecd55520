import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRegistryError } from './errors.js';
import { isValidName, isValidTag, parseDigest } from './names.js';

const HEX64 = 'a'.repeat(64);

test('repository names follow the distribution-spec grammar', () => {
  const cases: Array<{ name: string; value: string; valid: boolean }> = [
    { name: 'single component', value: 'busybox', valid: true },
    { name: 'nested', value: 'library/nginx/stable', valid: true },
    { name: 'separators', value: 'a.b_c__d-e--f', valid: true },
    { name: 'double underscore ok', value: 'a__b', valid: true },
    { name: 'triple underscore', value: 'a___b', valid: false },
    { name: 'uppercase', value: 'A/Upper', valid: false },
    { name: 'dot-dot component', value: '../x', valid: false },
    { name: 'traversal in the middle', value: 'a/../../b', valid: false },
    { name: 'encoded dots', value: '%2e%2e/x', valid: false },
    { name: 'empty component', value: 'a//b', valid: false },
    { name: 'trailing slash', value: 'a/', valid: false },
    { name: 'leading separator', value: '-a', valid: false },
    { name: 'underscore component', value: '_catalog/x', valid: false },
    { name: 'unicode', value: 'caf\u00e9', valid: false },
    { name: 'NUL', value: 'a\u0000b', valid: false },
    { name: 'empty', value: '', valid: false },
    { name: '255 characters', value: 'a'.repeat(255), valid: true },
    { name: '256 characters', value: 'a'.repeat(256), valid: false },
  ];
  for (const c of cases) assert.equal(isValidName(c.value), c.valid, c.name);
});

test('tags follow the distribution-spec grammar', () => {
  const cases: Array<{ name: string; value: string; valid: boolean }> = [
    { name: 'plain', value: 'latest', valid: true },
    { name: 'mixed', value: 'v1.2.3-rc_1', valid: true },
    { name: 'leading underscore', value: '_x', valid: true },
    { name: 'cosign tag', value: `sha256-${HEX64}.sig`, valid: true },
    { name: '128 characters', value: 'a'.repeat(128), valid: true },
    { name: '129 characters', value: 'a'.repeat(129), valid: false },
    { name: 'leading dot', value: '.x', valid: false },
    { name: 'leading dash', value: '-x', valid: false },
    { name: 'colon', value: 'a:b', valid: false },
    { name: 'at', value: 'a@b', valid: false },
    { name: 'slash', value: 'a/b', valid: false },
  ];
  for (const c of cases) assert.equal(isValidTag(c.value), c.valid, c.name);
});

test('digests: sha256 and sha512 with exact lowercase hex; everything else is DIGEST_INVALID', () => {
  const ok = [`sha256:${HEX64}`, `sha512:${'b'.repeat(128)}`];
  for (const d of ok) assert.equal(parseDigest(d).value, d);
  const bad: Array<{ name: string; value: string }> = [
    { name: '63 hex', value: `sha256:${'a'.repeat(63)}` },
    { name: '65 hex', value: `sha256:${'a'.repeat(65)}` },
    { name: 'uppercase hex', value: `sha256:${'A'.repeat(64)}` },
    { name: 'traversal', value: 'sha256:../../x' },
    { name: 'md5', value: 'md5:d41d8cd98f00b204e9800998ecf8427e' },
    { name: 'sha512 with 64 hex', value: `sha512:${HEX64}` },
    { name: 'uppercase algorithm', value: `SHA256:${HEX64}` },
    { name: 'empty', value: '' },
    { name: 'no encoded part', value: 'sha256:' },
  ];
  for (const c of bad) assert.throws(() => parseDigest(c.value), (e: unknown) => isRegistryError(e, 'DIGEST_INVALID') && e.status === 400, c.name);
});
