// The OCI Distribution v1.1 HTTP API (distribution-spec spec.md, endpoints end-1..end-14, plus the
// Docker `_catalog`): routes -> authorization -> handlers over the content index, the upload state
// machine and the blob driver. Paths outside /v2 go to the Harbor module.
//
// Routing uses the raw (undecoded) path: a `%` can never form a valid name, tag or digest, so
// encoded traversal is refused by the grammar (names.ts) before anything touches storage.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import type { AccessController, Action, Principal, RegistryEvents, Scope } from './access.js';
import type { ContentIndex, ManifestRecord } from './content.js';
import { BufferPool, sendBlobRange } from './blob-sender.js';
import { RegistryError } from './errors.js';
import { MAX_MANIFEST_BYTES, MEDIA_TYPES, parseManifest } from './manifest.js';
import { checkName, isValidTag, looksLikeDigest, parseDigest, type Digest, type DigestAlgorithm, DIGEST_ALGORITHMS } from './names.js';
import { StorageError, type BlobDriver } from './storage/types.js';
import { parseContentRange, type UploadManager } from './upload.js';

/** Dependencies and limits of the distribution API. */
export interface DistributionOptions {
  index: ContentIndex;
  driver: BlobDriver;
  uploads: UploadManager;
  access: AccessController;
  events: RegistryEvents;
  /** Serves paths outside /v2 (Harbor's token service, REST API, console); false = not mine. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  log?: Logger;
  /** Largest `n` on tags/list; a larger `n` is clamped and paged with Link (distribution tags.maxtags). */
  maxTags?: number;
  /** Largest `n` on _catalog; a larger `n` is 400 PAGINATION_NUMBER_INVALID (distribution catalog.maxentries). */
  maxCatalog?: number;
  /** Page size of _catalog without `n` (distribution's default 100). */
  defaultCatalog?: number;
  /** Largest page of the referrers API. */
  maxReferrers?: number;
}

const API_VERSION = 'registry/2.0';
/** Read (and socket write) size of blob GETs: 1 MiB took the least CPU per byte on the bench host. */
const BLOB_CHUNK = 1 << 20;

const RE_MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const RE_UPLOAD_START = /^\/v2\/(.+)\/blobs\/uploads\/?$/;
const RE_UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/;
const RE_BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;
const RE_TAGS = /^\/v2\/(.+)\/tags\/list$/;
const RE_REFERRERS = /^\/v2\/(.+)\/referrers\/([^/]+)$/;

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams;
  principal: Principal;
}

function repoScope(name: string, ...actions: Action[]): Scope {
  return { type: 'repository', name, actions };
}

function granted(list: Scope[], want: Scope): boolean {
  return want.actions.every((a) => list.some((g) => g.type === want.type && g.name === want.name && (g.actions.includes(a) || g.actions.includes('*'))));
}

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  if (cl !== undefined) return Number(cl) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

function contentLength(req: IncomingMessage): number | undefined {
  const cl = req.headers['content-length'];
  if (cl === undefined) return undefined;
  const n = Number(cl);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Parses a `Range` request header against a blob of `size`: a range, 'unsatisfiable', or undefined (ignore). */
export function parseRangeHeader(v: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (v === undefined) return undefined;
  const m = /^bytes=(.*)$/.exec(v.trim());
  if (!m) return undefined;
  const r = /^([0-9]{0,15})-([0-9]{0,15})$/.exec(m[1].trim());
  if (!r || (r[1] === '' && r[2] === '') || size === 0) return 'unsatisfiable';
  if (r[1] === '') {
    const n = Number(r[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? size - 1 : Number(r[2]);
  if (start > end || start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** Parses a pagination `n`: a non-negative integer, else PAGINATION_NUMBER_INVALID. */
function parseN(v: string | null): number | undefined {
  if (v === null) return undefined;
  if (!/^[0-9]{1,10}$/.test(v)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer', { n: v.slice(0, 40) });
  return Number(v);
}

/**
 * Manifest bodies by digest, least recently used first out, at most `maxBytes` in all. Content is
 * addressed by digest, so an entry can never be stale; whether a repository still holds the
 * manifest is always asked of the index first. Spares a manifest GET the open/read/close of a file.
 */
class ManifestCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(digest: string): Buffer | undefined {
    const b = this.entries.get(digest);
    if (b) {
      this.entries.delete(digest);
      this.entries.set(digest, b);
    }
    return b;
  }

  set(digest: string, body: Buffer): void {
    if (body.length > this.maxBytes / 8 || this.entries.has(digest)) return;
    this.entries.set(digest, body);
    this.bytes += body.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }
}

/** The /v2 API as one request handler. */
export class DistributionApi {
  private readonly o: Required<Omit<DistributionOptions, 'fallback'>> & Pick<DistributionOptions, 'fallback'>;
  private readonly manifests = new ManifestCache(32 << 20);
  /**
   * Read buffers of blob GETs: two per response in flight, at most 8 (8 MiB) kept between pulls;
   * more parallel pulls allocate two fresh buffers each, still never one per chunk.
   */
  private readonly buffers = new BufferPool(BLOB_CHUNK, 8);

  constructor(opts: DistributionOptions) {
    this.o = {
      log: silentLogger, maxTags: 1000, maxCatalog: 1000, defaultCatalog: 100, maxReferrers: 1000,
      ...opts,
    };
  }

  /** Node request listener: never rejects; errors become the spec's error responses. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.dispatch(req, res);
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (this.o.log.isLevelEnabled('debug')) {
      const started = performance.now();
      res.on('finish', () => this.o.log.debug({ method: req.method, path: url.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request'));
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    try {
      if (path !== '/v2' && !path.startsWith('/v2/')) {
        if (this.o.fallback && (await this.o.fallback(req, res))) return;
        this.sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
        return;
      }
      res.setHeader('Docker-Distribution-API-Version', API_VERSION);
      await this.route(req, res, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
    } catch (e) {
      this.fail(req, res, e);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    let err: RegistryError;
    if (e instanceof RegistryError) err = e;
    else if (e instanceof StorageError && e.code === 'NotFound') err = new RegistryError('BLOB_UNKNOWN');
    else {
      this.o.log.error({ err: e, method: req.method, path: req.url?.split('?')[0] }, 'request failed');
      err = new RegistryError('UNKNOWN');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!req.complete) {
      // The body was not read: close the connection rather than drain an unbounded body.
      res.setHeader('Connection', 'close');
      req.resume();
    }
    this.sendJson(res, err.status, err.toBody());
  }

  private sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': data.length });
    res.end(data);
  }

  private empty(res: ServerResponse, status: number, headers: Record<string, string | number>): void {
    res.writeHead(status, { ...headers, 'Content-Length': 0 });
    res.end();
  }

  /** Asks the access controller; sends 401/403 and resolves undefined when refused. */
  private async authorize(req: IncomingMessage, res: ServerResponse, scopes: Scope[]): Promise<{ principal: Principal; granted: Scope[] } | undefined> {
    const r = await this.o.access.authorize(req, scopes);
    if (r.ok) return { principal: r.principal, granted: r.granted };
    req.resume();
    const body = { errors: [{ code: r.code, message: r.message, detail: scopes.map((s) => ({ Type: s.type, Name: s.name, Action: s.actions.join(',') })) }] };
    this.sendJson(res, r.status, body, r.status === 401 ? { 'WWW-Authenticate': r.challenge } : {});
    return undefined;
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const ctx = (principal: Principal): Ctx => ({ req, res, path, query, principal });
    let m: RegExpExecArray | null;
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new RegistryError('UNSUPPORTED', `method ${method} not allowed`);
    };

    if (path === '/v2' || path === '/v2/') {
      allow('GET', 'HEAD');
      const a = await this.authorize(req, res, []);
      if (a) this.sendJson(res, 200, {});
      return;
    }
    if (path === '/v2/_catalog') {
      allow('GET');
      const scope: Scope = { type: 'registry', name: 'catalog', actions: ['*'] };
      const a = await this.authorize(req, res, [scope]);
      if (a) this.catalog(ctx(a.principal), granted(a.granted, scope));
      return;
    }
    if ((m = RE_UPLOAD_START.exec(path))) {
      allow('POST');
      const name = checkName(m[1]);
      return this.startUpload(req, res, name, query);
    }
    if ((m = RE_UPLOAD.exec(path))) {
      allow('GET', 'PATCH', 'PUT', 'DELETE');
      const name = checkName(m[1]);
      const a = await this.authorize(req, res, [repoScope(name, 'push')]);
      if (!a) return;
      return this.upload(ctx(a.principal), name, m[2]);
    }
    if ((m = RE_MANIFEST.exec(path))) {
      allow('GET', 'HEAD', 'PUT', 'DELETE');
      const name = checkName(m[1]);
      const ref = m[2];
      const digest = looksLikeDigest(ref) ? parseDigest(ref) : undefined;
      if (!digest && !isValidTag(ref)) throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: ref.slice(0, 200) });
      const action: Action = method === 'PUT' ? 'push' : method === 'DELETE' ? 'delete' : 'pull';
      const a = await this.authorize(req, res, [repoScope(name, action)]);
      if (!a) return;
      const c = ctx(a.principal);
      if (method === 'PUT') return this.putManifest(c, name, ref, digest);
      if (method === 'DELETE') return this.deleteManifest(c, name, ref, digest);
      return this.getManifest(c, name, ref, digest);
    }
    if ((m = RE_BLOB.exec(path))) {
      allow('GET', 'HEAD', 'DELETE');
      const name = checkName(m[1]);
      const digest = parseDigest(m[2]);
      const a = await this.authorize(req, res, [repoScope(name, method === 'DELETE' ? 'delete' : 'pull')]);
      if (!a) return;
      if (method === 'DELETE') {
        if (!this.o.index.unlinkBlob(name, digest.value)) throw new RegistryError('BLOB_UNKNOWN');
        this.empty(res, 202, {});
        return;
      }
      return this.getBlob(ctx(a.principal), name, digest);
    }
    if ((m = RE_TAGS.exec(path))) {
      allow('GET');
      const name = checkName(m[1]);
      const a = await this.authorize(req, res, [repoScope(name, 'pull')]);
      if (a) this.tags(ctx(a.principal), name);
      return;
    }
    if ((m = RE_REFERRERS.exec(path))) {
      allow('GET');
      const name = checkName(m[1]);
      const digest = parseDigest(m[2]);
      const a = await this.authorize(req, res, [repoScope(name, 'pull')]);
      if (a) this.referrers(ctx(a.principal), name, digest);
      return;
    }
    throw new RegistryError('NAME_UNKNOWN', 'no such API path');
  }

  // Blobs

  private async getBlob(c: Ctx, name: string, digest: Digest): Promise<void> {
    const { req, res } = c;
    const linked = this.o.index.linkedBlobSize(name, digest.value);
    if (linked === undefined) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: digest.value });
    const checkSize = (size: number): void => {
      if (size === linked) return;
      // Blobs are not fsynced (storage/filesystem.ts): after a machine crash a file may come back
      // short. Never serve bytes that cannot hash to the digest.
      this.o.log.error({ digest: digest.value, size, expected: linked }, 'stored blob has the wrong size');
      throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: digest.value });
    };
    const headers: Record<string, string | number> = {
      'Docker-Content-Digest': digest.value,
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${digest.value}"`,
      'Cache-Control': 'max-age=31536000',
    };
    if (req.method === 'HEAD') {
      // A stat is enough: no file handle for the existence checks clients make before pushing.
      const st = await this.o.driver.stat(digest);
      if (!st) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: digest.value });
      checkSize(st.size);
      res.writeHead(200, { ...headers, 'Content-Length': st.size });
      res.end();
      return;
    }
    const reader = await this.o.driver.open(digest);
    if (!reader) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: digest.value });
    try {
      const size = reader.size;
      checkSize(size);
      const range = parseRangeHeader(req.headers.range, size);
      if (range === 'unsatisfiable') {
        const err = new RegistryError('RANGE_INVALID', 'requested range not satisfiable');
        this.sendJson(res, 416, err.toBody(), { 'Content-Range': `bytes */${size}`, 'Docker-Content-Digest': digest.value });
        return;
      }
      if (range) {
        res.writeHead(206, { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
      } else {
        res.writeHead(200, { ...headers, 'Content-Length': size });
      }
      try {
        await sendBlobRange(reader, res, range?.start ?? 0, range?.end ?? size - 1, this.buffers);
      } catch (e) {
        this.o.log.error({ err: e, digest: digest.value }, 'reading a blob failed mid-response');
        res.destroy();
      }
    } finally {
      await reader.close();
    }
  }

  private uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
    return {
      Location: `/v2/${name}/blobs/uploads/${id}`,
      Range: `0-${Math.max(0, size - 1)}`,
      'Docker-Upload-UUID': id,
    };
  }

  private blobCreated(res: ServerResponse, name: string, digest: Digest): void {
    this.empty(res, 201, { Location: `/v2/${name}/blobs/${digest.value}`, 'Docker-Content-Digest': digest.value });
  }

  private async startUpload(req: IncomingMessage, res: ServerResponse, name: string, query: URLSearchParams): Promise<void> {
    const mountParam = query.get('mount');
    const from = query.get('from');
    const mount = mountParam !== null ? parseDigest(mountParam) : undefined;
    if (from !== null) checkName(from);
    const push = repoScope(name, 'push');
    const scopes = [push];
    const source = mount && from !== null && from !== name ? repoScope(from, 'pull') : undefined;
    if (source) scopes.push(source);
    const a = await this.authorize(req, res, scopes);
    if (!a) return;
    if (!granted(a.granted, push)) {
      req.resume();
      throw new RegistryError('DENIED');
    }
    if (mount && from !== null) {
      // Mount only what the caller may read; otherwise fall back to a normal upload (202).
      let readable = from === name || granted(a.granted, source!);
      if (!readable && source) {
        const r = await this.o.access.authorize(req, [source]);
        readable = r.ok && granted(r.granted, source);
      }
      const size = readable ? this.o.index.linkedBlobSize(from, mount.value) : undefined;
      if (size !== undefined && (await this.o.driver.stat(mount))) {
        req.resume();
        this.o.index.linkBlob(name, mount.value, size);
        this.blobCreated(res, name, mount);
        return;
      }
    }
    const digestParam = query.get('digest');
    if (digestParam !== null && !mount) {
      const digest = parseDigest(digestParam);
      const r = await this.o.uploads.monolithic(name, digest, req, contentLength(req));
      this.blobCreated(res, name, r.digest);
      return;
    }
    let algorithm: DigestAlgorithm = 'sha256';
    const alg = query.get('digest-algorithm');
    if (alg !== null) {
      if (!Object.hasOwn(DIGEST_ALGORITHMS, alg)) throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm ${JSON.stringify(alg.slice(0, 40))}`);
      algorithm = alg as DigestAlgorithm;
    }
    req.resume();
    const u = await this.o.uploads.start(name, algorithm);
    this.empty(res, 202, this.uploadHeaders(name, u.id, 0));
  }

  private async upload(c: Ctx, name: string, id: string): Promise<void> {
    const { req, res, query } = c;
    const method = req.method;
    if (method === 'GET') {
      const s = await this.o.uploads.status(name, id);
      this.empty(res, 204, this.uploadHeaders(name, id, s.size));
      return;
    }
    if (method === 'DELETE') {
      await this.o.uploads.cancel(name, id);
      this.empty(res, 204, {});
      return;
    }
    const cr = req.headers['content-range'];
    const range = cr !== undefined ? parseContentRange(cr) : undefined;
    if (method === 'PATCH') {
      const s = await this.o.uploads.patch(name, id, req, range, contentLength(req));
      this.empty(res, 202, this.uploadHeaders(name, id, s.size));
      return;
    }
    const digestParam = query.get('digest');
    if (digestParam === null) throw new RegistryError('DIGEST_INVALID', 'digest query parameter is required');
    const digest = parseDigest(digestParam);
    const body: Readable | undefined = hasBody(req) ? req : undefined;
    if (!body) req.resume();
    const r = await this.o.uploads.complete(name, id, digest, body, range, contentLength(req));
    this.blobCreated(res, name, r.digest);
  }

  // Manifests

  private async getManifest(c: Ctx, name: string, ref: string, digest: Digest | undefined): Promise<void> {
    const { req, res } = c;
    const rec = this.o.index.getManifest(name, digest?.value ?? ref);
    if (!rec) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { reference: ref });
    const etag = `"${rec.digest}"`;
    const headers = {
      'Content-Type': rec.mediaType,
      'Docker-Content-Digest': rec.digest,
      ETag: etag,
    };
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': rec.size });
      res.end();
      return;
    }
    // Manifests are at most 4 MiB: read whole, answer in one write, and count the pull as the
    // answer leaves (Harbor counts in its handler, not after the client read).
    const bytes = await this.readManifest(rec);
    res.writeHead(200, { ...headers, 'Content-Length': bytes.length });
    res.end(bytes);
    this.emit(() => this.o.events.manifestPulled({ repository: name, digest: rec.digest, tag: digest ? undefined : ref, principal: c.principal }));
  }

  private async readManifest(rec: ManifestRecord): Promise<Buffer> {
    const cached = this.manifests.get(rec.digest);
    if (cached) return cached;
    try {
      const parts: Buffer[] = [];
      for await (const c of await this.o.driver.read(parseDigest(rec.digest))) parts.push(c as Buffer);
      const bytes = Buffer.concat(parts);
      if (bytes.length === rec.size) this.manifests.set(rec.digest, bytes);
      return bytes;
    } catch (e) {
      if (e instanceof StorageError) throw new RegistryError('MANIFEST_UNKNOWN');
      throw e;
    }
  }

  private emit(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.o.log.warn({ err: e }, 'registry event handler failed');
    }
  }

  /**
   * Reads a manifest body of at most `limit` bytes. A longer body is 413: its excess is read and
   * discarded (up to 16 times the limit, then the connection is cut) so the client sees the answer.
   */
  private readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    const tooLarge = (): RegistryError => new RegistryError('MANIFEST_INVALID', `manifest exceeds ${limit} bytes`, { limit }, 413);
    const declared = contentLength(req);
    if (declared !== undefined && declared > limit) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (n <= limit) parts.push(c);
        else if (n > limit * 16) req.destroy();
      });
      req.on('end', () => (n > limit ? reject(tooLarge()) : resolve(Buffer.concat(parts))));
      req.on('error', reject);
      req.on('close', () => { if (!req.complete) reject(tooLarge()); });
    });
  }

  private async putManifest(c: Ctx, name: string, ref: string, refDigest: Digest | undefined): Promise<void> {
    const { req, res, query } = c;
    const tags = refDigest ? query.getAll('tag') : [ref];
    for (const t of tags) if (!isValidTag(t)) throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: t.slice(0, 200) });
    const bytes = await this.readBody(req, MAX_MANIFEST_BYTES);
    const parsed = parseManifest(bytes, req.headers['content-type']);
    const algorithm = refDigest?.algorithm ?? 'sha256';
    const hex = createHash(algorithm).update(bytes).digest('hex');
    if (refDigest && refDigest.hex !== hex) {
      throw new RegistryError('DIGEST_INVALID', 'manifest digest does not match the reference', { digest: refDigest.value });
    }
    for (const b of parsed.blobs) {
      if (this.o.index.linkedBlobSize(name, b.digest) === undefined) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry', { digest: b.digest });
      }
    }
    for (const m of parsed.manifests) {
      if (!this.o.index.getManifest(name, m.digest)) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 'manifest unknown to registry', { digest: m.digest });
      }
    }
    const digest = await this.o.uploads.storeBytes(bytes, algorithm);
    this.manifests.set(digest.value, bytes);
    this.o.index.putManifest(name, {
      digest: digest.value,
      mediaType: parsed.mediaType,
      size: bytes.length,
      artifactType: parsed.artifactType,
      subject: parsed.subject?.digest,
      annotations: parsed.annotations,
      refs: [
        ...parsed.blobs.map((b) => ({ digest: b.digest, kind: 'blob' as const, size: b.size })),
        ...parsed.manifests.map((m) => ({ digest: m.digest, kind: 'manifest' as const, size: m.size })),
      ],
    }, tags);
    const headers: Record<string, string | number | string[]> = {
      Location: `/v2/${name}/manifests/${digest.value}`,
      'Docker-Content-Digest': digest.value,
      'Content-Length': 0,
    };
    if (parsed.subject) headers['OCI-Subject'] = parsed.subject.digest;
    if (refDigest && tags.length) headers['OCI-Tag'] = tags;
    res.writeHead(201, headers);
    res.end();
    const base = { repository: name, digest: digest.value, mediaType: parsed.mediaType, size: bytes.length, principal: c.principal };
    if (tags.length === 0) this.emit(() => this.o.events.manifestPushed(base));
    for (const tag of tags) this.emit(() => this.o.events.manifestPushed({ ...base, tag }));
  }

  private async deleteManifest(c: Ctx, name: string, ref: string, digest: Digest | undefined): Promise<void> {
    const rec = this.o.index.getManifest(name, digest?.value ?? ref);
    if (!rec) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { reference: ref });
    const ok = digest ? this.o.index.deleteManifest(name, rec.digest) : this.o.index.deleteTag(name, ref);
    if (!ok) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { reference: ref });
    this.empty(c.res, 202, {});
    this.emit(() => this.o.events.manifestDeleted({ repository: name, digest: rec.digest, tag: digest ? undefined : ref, principal: c.principal }));
  }

  // Discovery

  private tags(c: Ctx, name: string): void {
    const n = parseN(c.query.get('n'));
    const last = c.query.get('last') ?? '';
    const limit = Math.min(n ?? this.o.maxTags, this.o.maxTags);
    const page = limit === 0 ? this.o.index.listTags(name, 0, last) : this.o.index.listTags(name, limit + 1, last);
    if (page === undefined) throw new RegistryError('NAME_UNKNOWN', undefined, { name });
    const headers: Record<string, string> = {};
    if (page.length > limit) {
      page.length = limit;
      headers.Link = `</v2/${name}/tags/list?n=${limit}&last=${encodeURIComponent(page[limit - 1])}>; rel="next"`;
    }
    this.sendJson(c.res, 200, { name, tags: page }, headers);
  }

  private catalog(c: Ctx, allowed: boolean): void {
    const n = parseN(c.query.get('n'));
    if (n !== undefined && n > this.o.maxCatalog) {
      throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must not exceed ${this.o.maxCatalog}`, { n, max: this.o.maxCatalog });
    }
    const limit = n ?? this.o.defaultCatalog;
    const last = c.query.get('last') ?? '';
    if (!allowed || limit === 0) {
      this.sendJson(c.res, 200, { repositories: [] });
      return;
    }
    const page = this.o.index.listCatalog(limit + 1, last);
    const headers: Record<string, string> = {};
    if (page.length > limit) {
      page.length = limit;
      headers.Link = `</v2/_catalog?n=${limit}&last=${encodeURIComponent(page[limit - 1])}>; rel="next"`;
    }
    this.sendJson(c.res, 200, { repositories: page }, headers);
  }

  private referrers(c: Ctx, name: string, digest: Digest): void {
    const artifactType = c.query.get('artifactType') ?? undefined;
    const after = c.query.get('last') ?? '';
    const limit = this.o.maxReferrers;
    const rows = this.o.index.referrers(name, digest.value, limit + 1, after, artifactType);
    const headers: Record<string, string> = { 'Content-Type': MEDIA_TYPES.ociIndex };
    if (rows.length > limit) {
      rows.length = limit;
      const at = artifactType !== undefined ? `&artifactType=${encodeURIComponent(artifactType)}` : '';
      headers.Link = `</v2/${name}/referrers/${digest.value}?last=${encodeURIComponent(rows[limit - 1].digest)}${at}>; rel="next"`;
    }
    if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
    const body = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: rows.map((r) => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
        ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
        ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
      })),
    };
    const data = Buffer.from(JSON.stringify(body));
    c.res.writeHead(200, { ...headers, 'Content-Length': data.length });
    c.res.end(data);
  }
}
