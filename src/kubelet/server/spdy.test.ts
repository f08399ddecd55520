import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants as zc, deflateSync, inflateSync } from 'node:zlib';
import {
  controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, FLAG_FIN, FrameParser, FrameType, SPDY_DICTIONARY, SpdySession,
  type SpdyStream,
} from './spdy.js';

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Two sessions wired back to back, as kubectl (client) and the kubelet (server) would be. */
function pair(onStream: (s: SpdyStream) => void): { client: SpdySession; server: SpdySession; wire: Buffer[] } {
  const wire: Buffer[] = [];
  const holder: { client?: SpdySession; server?: SpdySession } = {};
  // Deliver one byte at a time: frames must survive any split (kubectl's websocket tunnel splits them).
  const deliver = (to: () => SpdySession | undefined, b: Buffer): void => {
    for (let i = 0; i < b.length; i++) to()!.receive(b.subarray(i, i + 1));
  };
  holder.client = new SpdySession({ client: true, write: (b) => { wire.push(b); deliver(() => holder.server, b); } });
  holder.server = new SpdySession({ client: false, write: (b) => deliver(() => holder.client, b), onStream });
  return { client: holder.client, server: holder.server, wire };
}

function collect(s: SpdyStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
  });
}

test('the SPDY/3 dictionary is the spec one: 1423 bytes, zlib dictionary id 0xe3c6a7c2', () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY_DICTIONARY).toString(16), 'e3c6a7c2');
  assert.equal(SPDY_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(SPDY_DICTIONARY.toString('latin1').endsWith(',enq=0.'));
});

test('header blocks encode as count, then length-prefixed lower-case names and values', () => {
  const cases = [
    { name: 'empty', headers: {} as Record<string, string>, hex: '00000000' },
    { name: 'one pair, name lower-cased', headers: { streamType: 'data' } as Record<string, string>, hex: '00000001' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000004' + Buffer.from('data').toString('hex') },
  ];
  for (const c of cases) {
    const enc = encodeHeaderBlock(c.headers);
    assert.equal(enc.toString('hex'), c.hex, c.name);
    assert.deepEqual(decodeHeaderBlock(enc), Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v])), c.name);
  }
  assert.throws(() => decodeHeaderBlock(Buffer.from('0000000100000009ab', 'hex')), /truncated/);
});

test('the frame parser reassembles frames from any split and tells control from data frames', () => {
  const frames = Buffer.concat([
    controlFrame(FrameType.PING, 0, Buffer.from('00000001', 'hex')),
    dataFrame(3, FLAG_FIN, Buffer.from('hello')),
    dataFrame(5, 0, Buffer.alloc(0)),
  ]);
  assert.equal(frames.subarray(0, 8).toString('hex'), '8003000600000004', 'PING: C bit, version 3, type 6, length 4');
  assert.equal(frames.subarray(12, 20).toString('hex'), '0000000301000005', 'DATA: stream 3, FIN, length 5');
  for (const split of [1, 2, 3, 7, 100]) {
    const p = new FrameParser();
    const got = [];
    for (let i = 0; i < frames.length; i += split) got.push(...p.push(frames.subarray(i, i + split)));
    assert.deepEqual(got.map((f) => (f.kind === 'control' ? `ctl:${f.type}` : `data:${f.streamId}:${f.flags}:${f.data.toString()}`)),
      ['ctl:6', 'data:3:1:hello', 'data:5:0:'], `split ${split}`);
  }
  assert.throws(() => new FrameParser().push(Buffer.from('8002000100000000', 'hex')), /unsupported SPDY version 2/);
});

test('a stream opened by the client carries its headers, gets a reply, and moves bytes and FIN both ways', async () => {
  const seen: Record<string, string>[] = [];
  const { client } = pair((s) => {
    seen.push(s.headers);
    void s.reply();
    // Echo what arrives, upper-cased, then FIN when the client FINs.
    s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
    s.on('end', () => s.end());
  });
  // Port-forward's pair per connection: an error stream (half-closed at once) and a data stream.
  const err = await client.openStream({ streamType: 'error', port: '80', requestID: '0' }, true);
  const data = await client.openStream({ streamType: 'data', port: '80', requestID: '0' });
  assert.equal(err.id, 1);
  assert.equal(data.id, 3);
  assert.deepEqual(seen, [
    { streamtype: 'error', port: '80', requestid: '0' },
    { streamtype: 'data', port: '80', requestid: '0' },
  ]);
  const got = collect(data);
  data.write('get / ');
  data.end('http/1.1');
  assert.equal(await got, 'GET / HTTP/1.1');
  client.close();
});

test('many header blocks share one compression context per direction and stay in order', async () => {
  const ports: string[] = [];
  const { client, wire } = pair((s) => {
    ports.push(s.headers.port);
    void s.reply({ port: s.headers.port });
  });
  const streams = await Promise.all(Array.from({ length: 20 }, (_, i) => client.openStream({ streamType: 'data', port: String(8000 + i) })));
  assert.deepEqual(ports, Array.from({ length: 20 }, (_, i) => String(8000 + i)));
  assert.deepEqual(streams.map((s) => s.replyHeaders.port), ports, 'each SYN_REPLY decodes to its own headers');
  // The first SYN_STREAM's header block starts a zlib stream that names the SPDY dictionary.
  const first = wire.find((b) => b.readUInt16BE(2) === FrameType.SYN_STREAM)!;
  assert.equal(first.subarray(18, 24).subarray(2).toString('hex'), 'e3c6a7c2', 'zlib header carries the dictionary id');
  client.close();
});

test('a header block compressed by another zlib (as Go compresses it) is decoded', async () => {
  const block = encodeHeaderBlock({ streamtype: 'stdout' });
  const z = deflateSync(block, { dictionary: SPDY_DICTIONARY, level: 9, finishFlush: zc.Z_SYNC_FLUSH });
  assert.equal(z.subarray(0, 2).toString('hex'), '78f9', 'the header kubectl sends (Go, best compression, with dictionary)');
  assert.deepEqual(inflateSync(z, { dictionary: SPDY_DICTIONARY, finishFlush: zc.Z_SYNC_FLUSH }), block);
  const got = new Promise<Record<string, string>>((resolve) => {
    const server = new SpdySession({ client: false, write: () => undefined, onStream: (s) => resolve(s.headers) });
    const head = Buffer.alloc(10);
    head.writeUInt32BE(1, 0);
    server.receive(controlFrame(FrameType.SYN_STREAM, 0, Buffer.concat([head, z])));
  });
  assert.deepEqual(await got, { streamtype: 'stdout' });
});

test('pings from the peer are echoed; GOAWAY closes the session and its streams', async () => {
  const out: Buffer[] = [];
  const server = new SpdySession({ client: false, write: (b) => out.push(b), onStream: (s) => void s.reply() });
  server.receive(controlFrame(FrameType.PING, 0, Buffer.from('00000001', 'hex')));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out.map((b) => b.toString('hex')), ['800300060000000400000001']);
  const closed = new Promise<void>((r) => server.once('close', r));
  server.receive(controlFrame(FrameType.GOAWAY, 0, Buffer.from('0000000000000000', 'hex')));
  await closed;
  assert.equal(server.isClosed, true);
});

test('a stream the peer resets ends with an error on our side', async () => {
  const { client } = pair((s) => s.reset(3));
  await assert.rejects(client.openStream({ streamType: 'data', port: '1' }), /reset by peer \(status 3\)/);
  client.close();
});
