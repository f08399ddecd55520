// SPDY/3.1 framing and sessions, enough for Kubernetes' streaming protocols (remotecommand and
// portforward.k8s.io, which upstream runs over github.com/moby/spdystream). There is no maintained
// JavaScript SPDY library, so this is ours (DESIGN.md, CONVENTIONS.md "Libraries").
//
// Wire facts (SPDY protocol draft 3.1, https://www.chromium.org/spdy/spdy-protocol/spdy-protocol-draft3-1/):
//   control frame: C=1 | version(15)=3 | type(16) | flags(8) | length(24) | data
//   data frame:    C=0 | stream-id(31) | flags(8) | length(24) | data        (flag FIN=0x01)
//   SYN_STREAM(1): stream-id(4) assoc-id(4) priority(3 bits)+unused(5) slot(1) header-block
//   SYN_REPLY(2):  stream-id(4) header-block;  RST_STREAM(3): stream-id(4) status(4)
//   SETTINGS(4), PING(6): id(4), GOAWAY(7): last-good-stream-id(4) status(4), HEADERS(8),
//   WINDOW_UPDATE(9): stream-id(4) delta(4)
//   header block: zlib with the SPDY/3 dictionary, one context per direction for the whole
//   session, each block ended with a SYNC_FLUSH; uncompressed: count(4) then (len(4) name len(4)
//   value)*, names lower-case, several values joined by NUL.
// Flow control: spdystream neither sends WINDOW_UPDATE nor honours windows (it has no case for the
// frame), so this session ignores windows too; WINDOW_UPDATE frames are accepted and dropped.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants as zc, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

/** SPDY protocol version carried in every control frame. */
export const SPDY_VERSION = 3;

/** Control frame types (SPDY/3 section 2.6). */
export const FrameType = {
  SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9,
} as const;

/** FLAG_FIN on data, SYN_STREAM, SYN_REPLY and HEADERS frames. */
export const FLAG_FIN = 0x01;

/** RST_STREAM status codes (SPDY/3 section 2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, UNSUPPORTED_VERSION: 4, CANCEL: 5, INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7, STREAM_IN_USE: 8, STREAM_ALREADY_CLOSED: 9,
} as const;

/** Largest DATA payload we send in one frame (the 24-bit length allows more; peers buffer less). */
const MAX_DATA_FRAME = 32 * 1024;

const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const DICTIONARY_TAIL = '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden' +
  '404 Not Found500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept ' +
  'Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,' +
  'application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch' +
  'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/**
 * The SPDY/3 header compression dictionary (spec section 2.6.10.1): 65 length-prefixed words and a
 * literal tail, 1423 bytes, zlib dictionary id (Adler-32) 0xe3c6a7c2.
 */
export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

/** SPDY header names and values; names are lower-case on the wire. */
export type SpdyHeaders = Record<string, string>;

/** Encodes a header block (uncompressed); names are lower-cased, as spdystream requires. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length, 0);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes an uncompressed header block; repeated values (NUL-joined) are kept joined. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  if (block.length < 4) throw new SpdyProtocolError('header block too short');
  const n = block.readUInt32BE(0);
  let off = 4;
  const out: SpdyHeaders = {};
  const take = (): string => {
    if (off + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) throw new SpdyProtocolError('truncated header block');
    const s = block.subarray(off, off + len).toString('utf8');
    off += len;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const name = take().toLowerCase();
    out[name] = take();
  }
  return out;
}

/** A malformed frame or header block; the session answers it with GOAWAY and closes. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

/** One parsed frame. Control frames carry `type`; data frames carry `streamId` and `data`. */
export type SpdyFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; data: Buffer };

/**
 * Splits a byte stream into SPDY frames. Bytes may arrive in any split (kubectl's websocket tunnel
 * sends each Write as its own message, so one frame spans several messages).
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every frame now complete, in order. */
  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: SpdyFrame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4];
      const data = this.buf.subarray(8, 8 + len);
      if (this.buf[0] & 0x80) {
        const version = this.buf.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        frames.push({ kind: 'control', type: this.buf.readUInt16BE(2), flags, data });
      } else {
        frames.push({ kind: 'data', streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return frames;
  }
}

/** Builds a control frame. */
export function controlFrame(type: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h[4] = flags;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

/** Builds a data frame. */
export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h[4] = flags;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

function u32s(...vals: number[]): Buffer {
  const b = Buffer.alloc(4 * vals.length);
  vals.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/**
 * One zlib context for a session direction. Every block is written and SYNC_FLUSHed in order; the
 * output is read in paused mode after the flush completes, so a block's bytes never mix with the
 * next one's. (Node's one-shot sync API closes the handle, which would reset the context.)
 */
class HeaderCodec {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly z: Deflate | Inflate) {
    z.on('error', () => undefined);
  }

  /** Compresses (or decompresses) one block, in call order. */
  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(() => new Promise<Buffer>((resolve, reject) => {
      const onError = (e: Error): void => reject(new SpdyProtocolError(`header block: ${e.message}`));
      this.z.once('error', onError);
      this.z.write(input);
      this.z.flush(zc.Z_SYNC_FLUSH, () => {
        this.z.off('error', onError);
        const chunks: Buffer[] = [];
        for (let c = this.z.read() as Buffer | null; c; c = this.z.read() as Buffer | null) chunks.push(c);
        resolve(Buffer.concat(chunks));
      });
    }));
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }
}

/** Options of a session. */
export interface SpdySessionOptions {
  /** Writes bytes to the peer (a socket, or a websocket tunnel). */
  write: (bytes: Buffer) => void;
  /** True for the side that sent the HTTP upgrade: it opens odd stream IDs. */
  client: boolean;
  /** Called for every stream the peer opens; the handler calls `stream.reply()` to accept it. */
  onStream?: (stream: SpdyStream) => void;
}

/**
 * One SPDY/3.1 session over a byte pipe. Feed it the peer's bytes with `receive`; it emits
 * `close` (once) when the peer sends GOAWAY, a protocol error occurs, or `close()` is called.
 */
export class SpdySession extends EventEmitter {
  private readonly parser = new FrameParser();
  private readonly deflate = new HeaderCodec(createDeflate({ dictionary: SPDY_DICTIONARY }));
  private readonly inflate = new HeaderCodec(createInflate({ dictionary: SPDY_DICTIONARY }));
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingReplies = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void }>();
  private nextId: number;
  private lastPeerId = 0;
  private queue: Promise<void> = Promise.resolve();
  private writeChain: Promise<void> = Promise.resolve();
  private closed = false;

  /** Creates a session; nothing is sent until a stream is opened or a frame answered. */
  constructor(private readonly opts: SpdySessionOptions) {
    super();
    this.nextId = opts.client ? 1 : 2;
  }

  /** True once the session is closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes from the peer; frames are handled strictly in arrival order. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    for (const f of frames) {
      this.queue = this.queue.then(() => this.handle(f)).catch((e: Error) => this.fail(e));
    }
  }

  /** The peer's byte stream ended: close once every frame received so far has been handled. */
  receiveEnd(): void {
    this.queue = this.queue.then(() => this.close(), () => this.close());
  }

  /** Sends raw bytes after every frame queued before them (header compression is asynchronous). */
  private send(bytes: Buffer | Promise<Buffer>): Promise<void> {
    this.writeChain = this.writeChain.then(async () => {
      const b = await bytes;
      if (!this.closed) this.opts.write(b);
    }).catch((e: Error) => this.fail(e));
    return this.writeChain;
  }

  private async handle(f: SpdyFrame): Promise<void> {
    if (this.closed) return;
    if (f.kind === 'data') {
      const s = this.streams.get(f.streamId);
      if (!s) {
        if (f.streamId !== 0) void this.send(controlFrame(FrameType.RST_STREAM, 0, u32s(f.streamId, RstStatus.INVALID_STREAM)));
        return;
      }
      s.onData(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    const d = f.data;
    switch (f.type) {
      case FrameType.SYN_STREAM: {
        if (d.length < 10) throw new SpdyProtocolError('short SYN_STREAM');
        const id = d.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(d.subarray(10)));
        if (this.streams.has(id) || id <= this.lastPeerId) {
          void this.send(controlFrame(FrameType.RST_STREAM, 0, u32s(id, RstStatus.PROTOCOL_ERROR)));
          return;
        }
        this.lastPeerId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        if (f.flags & FLAG_FIN) s.onData(Buffer.alloc(0), true);
        if (this.opts.onStream) this.opts.onStream(s);
        else s.reset(RstStatus.REFUSED_STREAM);
        return;
      }
      case FrameType.SYN_REPLY: {
        const id = d.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(d.subarray(4)));
        const s = this.streams.get(id);
        const p = this.pendingReplies.get(id);
        this.pendingReplies.delete(id);
        if (s) {
          s.replyHeaders = headers;
          if (f.flags & FLAG_FIN) s.onData(Buffer.alloc(0), true);
          p?.resolve(s);
        }
        return;
      }
      case FrameType.HEADERS: {
        await this.inflate.run(d.subarray(4));
        return;
      }
      case FrameType.RST_STREAM: {
        const id = d.readUInt32BE(0) & 0x7fffffff;
        const status = d.readUInt32BE(4);
        const p = this.pendingReplies.get(id);
        this.pendingReplies.delete(id);
        p?.reject(new Error(`stream ${id} reset by peer (status ${status})`));
        this.streams.get(id)?.onReset(status, true);
        return;
      }
      case FrameType.PING: {
        // A ping with our parity answers one we sent; one with the peer's parity is echoed.
        const id = d.readUInt32BE(0);
        if ((id % 2 === 1) !== this.opts.client) void this.send(controlFrame(FrameType.PING, 0, u32s(id)));
        return;
      }
      case FrameType.GOAWAY:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types carry nothing we act on.
        return;
    }
  }

  /**
   * Opens a stream with `headers` and resolves when the peer's SYN_REPLY arrives (as spdystream's
   * CreateStream waits for it). `fin` half-closes it at once.
   */
  openStream(headers: SpdyHeaders, fin = false): Promise<SpdyStream> {
    if (this.closed) return Promise.reject(new Error('SPDY session closed'));
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, headers);
    this.streams.set(id, s);
    if (fin) s.markLocalFin();
    const reply = new Promise<SpdyStream>((resolve, reject) => this.pendingReplies.set(id, { resolve, reject }));
    const head = u32s(id, 0, 0).subarray(0, 10);
    void this.send(this.deflate.run(encodeHeaderBlock(headers)).then((block) =>
      controlFrame(FrameType.SYN_STREAM, fin ? FLAG_FIN : 0, Buffer.concat([head, block]))));
    return reply;
  }

  /** Sends SYN_REPLY for a stream the peer opened. */
  replyTo(s: SpdyStream, headers: SpdyHeaders = {}): Promise<void> {
    return this.send(this.deflate.run(encodeHeaderBlock(headers)).then((block) =>
      controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([u32s(s.id), block]))));
  }

  /** Sends DATA frames (split at MAX_DATA_FRAME); `fin` marks the last. */
  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    let p: Promise<void> = Promise.resolve();
    if (data.length === 0) return this.send(dataFrame(id, fin ? FLAG_FIN : 0, data));
    for (let off = 0; off < data.length; off += MAX_DATA_FRAME) {
      const part = data.subarray(off, off + MAX_DATA_FRAME);
      const last = off + MAX_DATA_FRAME >= data.length;
      p = this.send(dataFrame(id, fin && last ? FLAG_FIN : 0, part));
    }
    return p;
  }

  /** Sends RST_STREAM and forgets the stream. */
  sendReset(id: number, status: number): void {
    this.streams.delete(id);
    void this.send(controlFrame(FrameType.RST_STREAM, 0, u32s(id, status)));
  }

  /** Sends a PING with our parity; the peer echoes it. */
  ping(id: number): void {
    void this.send(controlFrame(FrameType.PING, 0, u32s(id)));
  }

  /** Called by a stream when both directions are done. */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Sends GOAWAY (status OK) after queued frames. */
  goAway(): Promise<void> {
    return this.send(controlFrame(FrameType.GOAWAY, 0, u32s(this.lastPeerId, 0)));
  }

  /**
   * Closes after everything already written has been sent: stream writes queued by events of the
   * current turn (a relay's pipes) get one more turn to arrive first. A relay uses it when the
   * other side ended, so a final status or FIN is not cut off.
   */
  async closeGracefully(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.writeChain;
    this.close();
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.emit('protocolError', e);
    this.close();
  }

  /** Ends every stream and the session (idempotent); emits `close`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pendingReplies.values()) p.reject(new Error('SPDY session closed'));
    this.pendingReplies.clear();
    for (const s of this.streams.values()) s.onReset(RstStatus.CANCEL, false);
    this.streams.clear();
    this.deflate.close();
    this.inflate.close();
    this.emit('close');
  }
}

/**
 * One SPDY stream as a Duplex: reading yields the peer's DATA (ending at its FIN), writing sends
 * DATA, `end()` sends FIN. `headers` are the SYN_STREAM headers (lower-case names).
 */
export class SpdyStream extends Duplex {
  /** Headers of the peer's SYN_REPLY, for streams we opened. */
  replyHeaders: SpdyHeaders = {};
  private remoteFin = false;
  private localFin = false;
  private resetSeen = false;

  /** Created by the session. */
  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
  }

  /** Accepts a stream the peer opened (SYN_REPLY). */
  reply(headers: SpdyHeaders = {}): Promise<void> {
    return this.session.replyTo(this, headers);
  }

  /** Aborts the stream with RST_STREAM. */
  reset(status: number = RstStatus.CANCEL): void {
    this.session.sendReset(this.id, status);
    this.remoteFin = this.localFin = true;
    this.destroy();
  }

  /** @internal data from the peer. */
  onData(data: Buffer, fin: boolean): void {
    if (this.remoteFin) return;
    if (data.length) this.push(data);
    if (fin) {
      this.remoteFin = true;
      this.push(null);
      this.maybeDone();
    }
  }

  /** True once the peer reset this stream with RST_STREAM. */
  get wasReset(): boolean {
    return this.resetSeen;
  }

  /** @internal the peer reset the stream (`byPeer`) or the session closed under it. */
  onReset(status: number, byPeer: boolean): void {
    if (byPeer) this.resetSeen = true;
    this.remoteFin = this.localFin = true;
    this.session.forget(this.id);
    // Nobody listening for errors (a stream whose open was refused) just closes.
    const failed = status !== RstStatus.CANCEL && this.listenerCount('error') > 0;
    this.destroy(failed ? new Error(`stream reset (status ${status})`) : undefined);
  }

  /** @internal the SYN_STREAM carried FIN. */
  markLocalFin(): void {
    this.localFin = true;
    this.end();
  }

  private maybeDone(): void {
    if (this.remoteFin && this.localFin) this.session.forget(this.id);
  }

  override _read(): void {
    // Data is pushed as frames arrive; spdystream has no flow control to drive from here.
  }

  // Writes are queued on the session at once, in order, so a session closing gracefully right
  // after sends everything written before. There is no SPDY flow control to wait for (see top).
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (!this.localFin && !this.session.isClosed) void this.session.sendData(this.id, chunk, false);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (!this.localFin && !this.session.isClosed) void this.session.sendData(this.id, Buffer.alloc(0), true);
    this.localFin = true;
    this.maybeDone();
    cb();
  }
}
