import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JoinError, parseNodeToken } from './token.js';

const HASH = 'ab'.repeat(32);

test('parseNodeToken: k3s token forms (k3s pkg/clientaccess/token.go)', () => {
  const cases: Array<{ name: string; raw: string; want?: { caHash?: string; bearer: string }; error?: string }> = [
    { name: 'full token as berth server writes it', raw: `K10${HASH}::server:0123456789abcdef0123456789abcdef`, want: { caHash: HASH, bearer: `K10${HASH}::server:0123456789abcdef0123456789abcdef` } },
    { name: 'trailing newline of the token file', raw: `K10${HASH}::server:s3cret\n`, want: { caHash: HASH, bearer: `K10${HASH}::server:s3cret` } },
    { name: 'bare user:secret has no CA hash', raw: 'server:s3cret', want: { bearer: 'server:s3cret' } },
    { name: 'bare secret has no CA hash', raw: 's3cret', want: { bearer: 's3cret' } },
    { name: 'empty', raw: '  \n', error: 'the node token is empty' },
    { name: 'short hash', raw: 'K10abc::server:x', error: 'the node token is malformed: expected K10<64 hex digits of the CA hash>::<user>:<secret>' },
    { name: 'upper-case hash', raw: `K10${HASH.toUpperCase()}::server:x`, error: 'the node token is malformed: expected K10<64 hex digits of the CA hash>::<user>:<secret>' },
    { name: 'no separator', raw: `K10${HASH}`, error: 'the node token is malformed: expected K10<64 hex digits of the CA hash>::<user>:<secret>' },
    { name: 'no credential', raw: `K10${HASH}::`, error: 'the node token has no credential after "::"' },
    { name: 'inner whitespace', raw: 'abc def', error: 'the node token contains whitespace' },
  ];
  for (const tc of cases) {
    if (tc.error) {
      assert.throws(() => parseNodeToken(tc.raw), (e: unknown) => e instanceof JoinError && e.code === 'InvalidToken' && e.message === tc.error, tc.name);
    } else {
      assert.deepEqual(parseNodeToken(tc.raw), tc.want, tc.name);
    }
  }
});
