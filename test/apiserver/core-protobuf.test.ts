// Kubernetes protobuf request bodies (what kubectl's typed clients send): decoded by the wire
// module, answered in JSON; undecodable bodies get a 415 with the decoder's message.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { startCoreServer, type CoreServer } from './core-fixtures.js';
import { decodeKubernetesProtobuf } from '../../src/apiserver/protobuf/index.js';

/** Length-delimited field `n` holding `body`. */
function field(n: number, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const len: number[] = [];
  let v = b.length;
  do { let byte = v & 0x7f; v >>>= 7; if (v) byte |= 0x80; len.push(byte); } while (v);
  return Buffer.concat([Buffer.from([(n << 3) | 2, ...len]), b]);
}

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw)]);
}

describe('API server core: protobuf request bodies', () => {
  let s: CoreServer;
  before(async () => { s = await startCoreServer({ decodeProtobuf: decodeKubernetesProtobuf }); });
  after(async () => { await s?.stop(); });

  it('creates a ConfigMap sent as protobuf and answers JSON', async () => {
    // ConfigMap{1: ObjectMeta{1: name}, 2: data entry{1: key, 2: value}}
    const cm = Buffer.concat([field(1, field(1, 'from-pb')), field(2, Buffer.concat([field(1, 'a'), field(2, 'b')]))]);
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', {
      body: envelope('v1', 'ConfigMap', cm),
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf', accept: 'application/vnd.kubernetes.protobuf,application/json' },
    });
    assert.equal(r.status, 201, r.body);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json.metadata.name, 'from-pb');
    assert.deepEqual(r.json.data, { a: 'b' });
  });

  it('answers 415 with the decoder\'s message for a body that is not Kubernetes protobuf', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: Buffer.from('not protobuf'), headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });
    assert.equal(r.status, 415);
    assert.equal(r.json.reason, 'UnsupportedMediaType');
    assert.ok(r.json.message.length > 0);
    let expected = '';
    try { decodeKubernetesProtobuf(Buffer.from('not protobuf')); } catch (e) { expected = (e as Error).message; }
    assert.equal(r.json.message, expected);
  });

  it('refuses a protobuf body of another kind with 400', async () => {
    const secret = field(1, field(1, 'wrong'));
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: envelope('v1', 'Secret', secret), headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^Secret in version "v1" cannot be handled as a ConfigMap/);
  });
});
