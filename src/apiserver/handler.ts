// The HTTP layer of the API server: authentication, routing, content negotiation, body decoding,
// fieldValidation, Table conversion, watch streaming and error Status answers. Resource semantics
// live in registry.ts; this file turns requests into registry calls and results into bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { rejectUpgrade } from './pod-connector.js';
import { stringify as yamlStringify } from 'yaml';
import type { Logger } from '../common/log.js';
import { VERSION } from '../common/version.js';
import type { KubeObject } from './resources/types.js';
import type { OpenApiService } from './openapi/types.js';
import { ApiError, badRequest, conflict, internalError, invalid, methodNotAllowed, notAcceptable, notFound, routeNotFound, unauthorized, unsupportedMediaType, type Status } from './status.js';
import { parseRequestInfo, isWatchParam, type RequestInfo } from './request-info.js';
import { negotiateResponse, bodyEncoding, type ResponseFormat } from './negotiation.js';
import { decodeJson, decodeYaml, readBody } from './body.js';
import type { Discovery } from './discovery.js';
import { subresourcesOf } from './discovery.js';
import { buildTable, parseIncludeObject, partialObjectMetadata } from './table.js';
import {
  getPath, labelSelectorString, rfc3339, setPath, type ApiWatchEvent, type CallContext, type DeleteOptions,
  type ObjectFilter, type ResourceHandler, type ResourceRegistry,
} from './registry.js';
import { authenticate, type AuthenticatorDeps, type TokenIssuer } from './auth.js';

/** The three patch flavours the server applies (strategic merge needs the kind's schema). */
export interface PatchFunctions {
  strategic(original: unknown, patch: unknown, group: string, version: string, kind: string): unknown;
  merge(original: unknown, patch: unknown): unknown;
  json(original: unknown, patch: unknown): unknown;
  /** True for the patch module's error class (its message becomes a 422/400 Status). */
  isPatchError(e: unknown): boolean;
}

/** Builds a filter from labelSelector/fieldSelector strings; throws an Error whose message is the 400 text. */
export type FilterFactory = (handler: ResourceHandler, labelSelector: string, fieldSelector: string) => ObjectFilter;

/** Pod subresources that reach a kubelet (log, exec, attach, portforward). */
export interface PodConnector {
  /** Serves a plain request (logs; a non-upgrade exec gets 400). Throws ApiError before writing. */
  serve(kind: 'log' | 'exec' | 'attach' | 'portforward', pod: KubeObject, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** Proxies an upgrade request (websocket or SPDY) to the kubelet, answering errors on the socket. */
  upgrade(kind: 'exec' | 'attach' | 'portforward', pod: KubeObject, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void>;
}

/** Creates the listener of the server's 'upgrade' event: authenticated pod exec/attach/portforward. */
export function createUpgradeHandler(deps: HandlerDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const user = await authenticate(req, deps.auth);
      if (!user) throw unauthorized();
      const info = parseRequestInfo(req.method ?? 'GET', url.pathname, null);
      if (!info || info.group !== '' || info.resource !== 'pods' || !info.name) throw routeNotFound();
      const sub = info.subresource;
      if (sub !== 'exec' && sub !== 'attach' && sub !== 'portforward') throw badRequest('the server does not support upgrading this request');
      const h = deps.registry.handler('', info.version, 'pods');
      if (!h || !deps.podConnector) throw routeNotFound();
      const pod = await deps.registry.get(h, info.namespace, info.name);
      await deps.podConnector.upgrade(sub, pod, req, socket, head, url);
    })().catch((e) => rejectUpgrade(socket, e));
  };
}

/** Everything the handler needs. */
export interface HandlerDeps {
  registry: ResourceRegistry;
  discovery: Discovery;
  openapi?: OpenApiService;
  decodeProtobuf?: (body: Buffer) => KubeObject;
  patch: PatchFunctions;
  filters: FilterFactory;
  auth: AuthenticatorDeps;
  tokens: TokenIssuer;
  podConnector?: PodConnector;
  log: Logger;
  now: () => Date;
  /** Interval of BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs: number;
  /** False until bootstrap finished (readyz answers 500 until then). */
  ready(): boolean;
  /** Aborted when the server shuts down: every watch ends. */
  shutdown: AbortSignal;
  /** The node-join endpoints (`/cacerts`, `/v1-berth/...`), tried before authentication; they authenticate themselves. */
  nodeJoin?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

function statusBody(s: Status): Buffer {
  return Buffer.from(JSON.stringify(s));
}

/** Writes a Status (errors always JSON, as upstream does for clients that accept JSON). */
function sendStatus(res: ServerResponse, s: Status, warnings: string[] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = statusBody(s);
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'Content-Length': String(body.length) };
  if (warnings.length) headers.Warning = warnings.map(warningHeader);
  res.writeHead(s.code, headers);
  res.end(body);
}

/** `299 - "text"` as upstream's warning recorder writes it. */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

function encodeBody(obj: unknown, format: ResponseFormat): Buffer {
  return Buffer.from(format.encoding === 'yaml' ? yamlStringify(obj) : JSON.stringify(obj));
}

function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return n;
}

/** Creates the request listener. */
export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const log = deps.log;
  return (req, res) => {
    if (log.isLevelEnabled('debug')) {
      const t0 = performance.now();
      res.once('finish', () => log.debug({ method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - t0) }, 'request'));
    }
    handle(deps, req, res).catch((e) => {
      if (!(e instanceof ApiError)) log.error({ err: (e as Error).message, stack: (e as Error).stack, method: req.method, url: req.url }, 'request failed');
      const s = e instanceof ApiError ? e.status : internalError((e as Error).message).status;
      sendStatus(res, s);
    });
  };
}

async function handle(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const base = path.split('/').slice(0, 2).join('/');
  if (deps.nodeJoin && (base === '/cacerts' || base === '/v1-berth') && (await deps.nodeJoin(req, res, url))) return;
  if (PUBLIC_PATHS.has(base)) return servePublic(deps, path, url, res, base === '/version' || (await storeHealthy(deps)));
  const user = await authenticate(req, deps.auth);
  if (!user) {
    req.resume();
    return sendStatus(res, unauthorized().status);
  }
  if (path === '/api' || path === '/apis' || path === '/api/' || path === '/apis/') {
    return serveDiscoveryRoot(deps, path.replace(/\/$/, '') as '/api' | '/apis', req, res);
  }
  if (path.startsWith('/openapi/')) return serveOpenApi(deps, path, url, req, res);
  const warnings: string[] = [];
  const call: CallContext = { user, warn: (t) => warnings.push(t) };
  const info = parseRequestInfo(method, path, url.searchParams.get('watch'));
  if (!info) {
    // `/apis/<group>` is the APIGroup document.
    const d = /^\/apis\/[^/]+\/?$/.test(path) && method === 'GET' ? deps.discovery.legacy(path) : undefined;
    if (d) return sendDocument(req, res, d.body, d.contentType, d.etag);
    throw routeNotFound();
  }
  if (!info.resource) {
    const d = deps.discovery.legacy(path);
    if (!d || method !== 'GET') throw routeNotFound();
    return sendDocument(req, res, d.body, d.contentType, d.etag);
  }
  const h = deps.registry.handler(info.group, info.version, info.resource);
  if (!h) throw routeNotFound();
  if (h.strategy.namespaced === false && info.namespace && !(info.resource === 'namespaces')) throw routeNotFound();
  if (info.subresource && !subresourcesOf(h.strategy).includes(info.subresource)) throw routeNotFound();
  const r = new RequestScope(deps, req, res, url, info, h, call, warnings);
  await r.dispatch();
}

function sendDocument(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string, etag?: string): void {
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (etag) {
    headers.ETag = etag;
    headers.Vary = 'Accept';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
  }
  headers['Content-Length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(body);
}

/** Whether the datastore answers within 2 s (the `etcd` health check, as upstream names it). */
async function storeHealthy(deps: HandlerDeps): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      deps.registry.store.currentRevision().then(() => true),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 2000); }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function servePublic(deps: HandlerDeps, path: string, url: URL, res: ServerResponse, storeOk: boolean): void {
  if (path === '/version' || path === '/version/') {
    const body = Buffer.from(JSON.stringify(VERSION, null, 2));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
    res.end(body);
    return;
  }
  const [, check, sub] = path.split('/');
  const checks: Array<[string, boolean]> = [['ping', true], ['log', true], ['etcd', storeOk], ['poststarthook/bootstrap-controller', deps.ready()]];
  if (check === 'livez') checks.pop();
  const wanted = sub ? checks.filter(([n]) => n === path.split('/').slice(2).join('/')) : checks;
  if (sub && wanted.length === 0) {
    sendStatus(res, routeNotFound().status);
    return;
  }
  const ok = wanted.every(([, v]) => v);
  let text: string;
  if (url.searchParams.has('verbose')) {
    text = wanted.map(([n, v]) => `[${v ? '+' : '-'}]${n} ${v ? 'ok' : 'failed: not finished'}`).join('\n') + `\n${check} check ${ok ? 'passed' : 'failed'}\n`;
  } else {
    text = ok ? 'ok' : `${wanted.filter(([, v]) => !v).map(([n]) => `[-]${n} failed: reason withheld`).join('\n')}\n${check} check failed\n`;
  }
  res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function serveDiscoveryRoot(deps: HandlerDeps, path: '/api' | '/apis', req: IncomingMessage, res: ServerResponse): void {
  const accept = String(req.headers.accept ?? '');
  for (const part of accept.split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue;
    const v = /v=(v2beta1|v2)\b/.exec(part)?.[1] as 'v2' | 'v2beta1' | undefined;
    if (!v) continue;
    const d = deps.discovery.aggregated(path, v);
    return sendDocument(req, res, d.body, d.contentType, d.etag);
  }
  const d = deps.discovery.legacy(path)!;
  sendDocument(req, res, d.body, d.contentType, d.etag);
}

function serveOpenApi(deps: HandlerDeps, path: string, _url: URL, req: IncomingMessage, res: ServerResponse): void {
  const api = deps.openapi;
  if (!api) throw routeNotFound();
  if (path === '/openapi/v2' || path === '/openapi/v2/') {
    const body = api.v2Protobuf();
    return sendDocument(req, res, body, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  }
  if (path === '/openapi/v3' || path === '/openapi/v3/') {
    const body = Buffer.from(JSON.stringify(api.v3Discovery()));
    return sendDocument(req, res, body, 'application/json');
  }
  const doc = api.v3Document(path.slice('/openapi/v3/'.length));
  if (!doc) throw routeNotFound();
  sendDocument(req, res, doc.json, 'application/json', `"${doc.hash}"`);
}

/** One resource request in flight. */
class RequestScope {
  private readonly q: URLSearchParams;
  private readonly ns: string;

  constructor(
    private readonly deps: HandlerDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly url: URL,
    private readonly info: RequestInfo,
    private readonly h: ResourceHandler,
    private readonly call: CallContext,
    private readonly warnings: string[],
  ) {
    this.q = url.searchParams;
    this.ns = h.strategy.namespaced ? info.namespace : '';
  }

  private get registry(): ResourceRegistry {
    return this.deps.registry;
  }

  async dispatch(): Promise<void> {
    const { info, h } = this;
    const sub = info.subresource;
    if (sub === 'log' || sub === 'exec' || sub === 'attach' || sub === 'portforward') return this.podConnect(sub);
    const format = negotiateResponse(this.req.headers.accept);
    if (!format) {
      this.req.resume();
      throw notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
    }
    if (!h.strategy.verbs.includes(info.verb) && !sub) {
      this.req.resume();
      throw methodNotAllowed();
    }
    if (sub === 'scale') return this.scale(format);
    if (sub === 'binding') return this.binding();
    if (sub === 'token') return this.tokenRequest();
    switch (info.verb) {
      case 'get': return this.get(format);
      case 'list': return this.list(format);
      case 'watch': return this.watch(format);
      case 'create': return this.create(format);
      case 'update': return this.update(format);
      case 'patch': return this.patch(format);
      case 'delete': return this.delete(format);
      case 'deletecollection': return this.deleteCollection(format);
      default:
        this.req.resume();
        throw methodNotAllowed();
    }
  }

  private send(code: number, obj: unknown, format: ResponseFormat, contentType?: string): void {
    const body = encodeBody(obj, format);
    const headers: Record<string, string | string[]> = {
      'Content-Type': contentType ?? (format.encoding === 'yaml' ? 'application/yaml' : 'application/json'),
      'Content-Length': String(body.length),
    };
    if (this.warnings.length) headers.Warning = this.warnings.map(warningHeader);
    this.res.writeHead(code, headers);
    this.res.end(body);
  }

  private dryRun(): boolean {
    const v = this.q.getAll('dryRun');
    for (const d of v) if (d !== 'All') throw badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
    return v.length > 0;
  }

  private filter(extraName?: string): ObjectFilter | undefined {
    let fs = this.q.get('fieldSelector') ?? '';
    if (extraName) fs = fs ? `${fs},metadata.name=${extraName}` : `metadata.name=${extraName}`;
    const ls = this.q.get('labelSelector') ?? '';
    if (!fs && !ls) return undefined;
    try {
      return this.deps.filters(this.h, ls, fs);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw badRequest((e as Error).message);
    }
  }

  /** Reads and decodes the body of a create/update (JSON, YAML or Kubernetes protobuf). */
  private async decodeObject(): Promise<unknown> {
    const enc = bodyEncoding(this.req.headers['content-type']);
    const buf = await readBody(this.req);
    const unrecognized = (e: unknown): never => {
      // Upstream's transformDecodeError when the body's kind is unknown: the decoder error plus a
      // summary of the body (endpoints/handlers/rest.go).
      if (!(e instanceof ApiError)) throw e;
      throw badRequest(`the object provided is unrecognized (must be of type ${this.h.strategy.kind}): ${e.status.message} (${summarizeBody(buf)})`);
    };
    switch (enc) {
      case 'json':
        try { return decodeJson(buf); } catch (e) { return unrecognized(e); }
      case 'yaml':
        try { return decodeYaml(buf); } catch (e) { return unrecognized(e); }
      case 'protobuf': {
        if (!this.deps.decodeProtobuf) throw unsupportedMediaType(unknownFormat());
        try {
          return this.deps.decodeProtobuf(buf);
        } catch (e) {
          throw unsupportedMediaType((e as Error).message);
        }
      }
      default:
        throw unsupportedMediaType(unknownFormat());
    }
  }

  /** fieldValidation: Strict fails with 400, Warn (the default) adds Warning headers, Ignore does nothing. */
  private checkFields(obj: unknown, wrap = true): void {
    const api = this.deps.openapi;
    const mode = this.q.get('fieldValidation') ?? 'Warn';
    if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
      throw badRequest(`fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Strict", "Warn"`);
    }
    if (!api || !obj || typeof obj !== 'object') return;
    const s = this.h.strategy;
    const unknown = api.unknownFields(s.group, s.version, s.kind, obj);
    if (!unknown.length) return;
    if (mode === 'Strict') {
      const text = `strict decoding error: ${unknown.join(', ')}`;
      if (!wrap) throw badRequest(text);
      // As upstream's decoder reports it for a create or update body (transformDecodeError).
      const o = obj as KubeObject;
      const version = typeof o.apiVersion === 'string' ? o.apiVersion.split('/').pop() : s.version;
      throw badRequest(`${typeof o.kind === 'string' && o.kind ? o.kind : s.kind} in version "${version}" cannot be handled as a ${s.kind}: ${text}`);
    }
    if (mode === 'Warn') for (const u of unknown) this.warnings.push(u);
    // Upstream decodes into typed structs, so unknown fields never reach storage.
    for (const u of unknown) dropField(obj, u);
  }

  private async get(format: ResponseFormat): Promise<void> {
    const { h } = this;
    const obj = await this.registry.get(h, this.ns, this.info.name);
    this.respondObject(200, obj, format, true);
  }

  /** Answers one object, converting to a Table or PartialObjectMetadata when asked. */
  private respondObject(code: number, obj: KubeObject, format: ResponseFormat, allowTable: boolean): void {
    if (allowTable && format.as === 'Table' && !this.info.subresource) {
      const include = parseIncludeObject(this.q.get('includeObject'));
      const table = buildTable(this.h.strategy, [obj], { now: this.deps.now(), include, metaVersion: format.metaVersion, meta: { resourceVersion: obj.metadata.resourceVersion } });
      return this.send(code, table, format, format.contentType);
    }
    if (allowTable && format.as === 'PartialObjectMetadata') {
      return this.send(code, partialObjectMetadata(obj, format.metaVersion), format, format.contentType);
    }
    this.send(code, obj, format);
  }

  private listKind(): string {
    return `${this.h.strategy.kind}List`;
  }

  private async list(format: ResponseFormat): Promise<void> {
    const { h } = this;
    const limit = queryInt(this.q, 'limit');
    const rvMatch = this.q.get('resourceVersionMatch');
    const rv = this.q.get('resourceVersion');
    let exactRevision: number | undefined;
    if (rvMatch === 'Exact') {
      if (!rv || !/^\d+$/.test(rv) || rv === '0') throw badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
      exactRevision = Number(rv);
    }
    const ans = await this.registry.list(h, this.ns, { limit, continueToken: this.q.get('continue') ?? undefined, filter: this.filter(), exactRevision });
    if (format.as === 'Table') {
      const include = parseIncludeObject(this.q.get('includeObject'));
      const table = buildTable(h.strategy, ans.items, { now: this.deps.now(), include, metaVersion: format.metaVersion, meta: { resourceVersion: ans.resourceVersion, continue: ans.continueToken } });
      return this.send(200, table, format, format.contentType);
    }
    const metadata: Record<string, unknown> = { resourceVersion: ans.resourceVersion };
    if (ans.continueToken) metadata.continue = ans.continueToken;
    if (format.as === 'PartialObjectMetadata') {
      const list = { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${format.metaVersion}`, metadata, items: ans.items.map((o) => partialObjectMetadata(o, format.metaVersion)) };
      return this.send(200, list, format, format.contentType);
    }
    const s = h.strategy;
    this.send(200, { kind: this.listKind(), apiVersion: s.group ? `${s.group}/${s.version}` : s.version, metadata, items: ans.items }, format);
  }

  private async watch(format: ResponseFormat): Promise<void> {
    const { h, q } = this;
    const filter = this.filter(this.info.name || undefined);
    const rv = q.get('resourceVersion') ?? '';
    const sendInitial = q.get('sendInitialEvents') === 'true';
    const bookmarks = isWatchParam(q.get('allowWatchBookmarks'));
    const timeoutSeconds = queryInt(q, 'timeoutSeconds');
    const include = format.as === 'Table' ? parseIncludeObject(q.get('includeObject')) : 'Object';
    let fromRevision: number;
    let initial: KubeObject[] | undefined;
    if (rv === '' || rv === '0' || sendInitial) {
      const ans = await this.registry.list(h, this.ns, { filter });
      initial = ans.items;
      fromRevision = Number(ans.resourceVersion);
    } else {
      if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: strconv.ParseUint: parsing "${rv}": invalid syntax`);
      fromRevision = Number(rv);
    }
    const ac = new AbortController();
    const abort = (): void => ac.abort();
    this.res.on('close', abort);
    this.deps.shutdown.addEventListener('abort', abort, { once: true });
    const timers: NodeJS.Timeout[] = [];
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) timers.push(setTimeout(abort, timeoutSeconds * 1000));
    const headers: Record<string, string> = { 'Content-Type': format.encoding === 'json' ? 'application/json' : 'application/yaml', 'Transfer-Encoding': 'chunked' };
    this.res.writeHead(200, headers);
    this.res.flushHeaders();
    const s = h.strategy;
    const apiVersion = s.group ? `${s.group}/${s.version}` : s.version;
    let lastRevision = fromRevision;
    let columnsSent = false;
    const encodeEvent = (ev: ApiWatchEvent): string => {
      let object: unknown = ev.object;
      if (ev.type !== 'ERROR' && ev.type !== 'BOOKMARK' && format.as === 'Table') {
        object = buildTable(s, [ev.object as KubeObject], { now: this.deps.now(), include, metaVersion: format.metaVersion, meta: { resourceVersion: (ev.object as KubeObject).metadata.resourceVersion }, withColumns: !columnsSent });
        columnsSent = true;
      } else if (ev.type !== 'ERROR' && ev.type !== 'BOOKMARK' && format.as === 'PartialObjectMetadata') {
        object = partialObjectMetadata(ev.object as KubeObject, format.metaVersion);
      }
      return JSON.stringify({ type: ev.type, object }) + '\n';
    };
    const write = async (line: string): Promise<void> => {
      if (ac.signal.aborted) return;
      if (!this.res.write(line)) {
        await new Promise<void>((r) => {
          const done = (): void => { this.res.off('drain', done); ac.signal.removeEventListener('abort', done); r(); };
          this.res.on('drain', done);
          ac.signal.addEventListener('abort', done);
        });
      }
    };
    const bookmark = (extra?: Record<string, string>): ApiWatchEvent => {
      const metadata: Record<string, unknown> = { resourceVersion: String(lastRevision) };
      if (extra) metadata.annotations = extra;
      return { type: 'BOOKMARK', object: { kind: s.kind, apiVersion, metadata } as KubeObject };
    };
    let pending = Promise.resolve();
    const enqueue = (line: string): Promise<void> => (pending = pending.then(() => write(line)));
    if (bookmarks) {
      const t = setInterval(() => { void enqueue(encodeEvent(bookmark())); }, this.deps.bookmarkIntervalMs);
      timers.push(t);
    }
    try {
      if (initial) {
        for (const obj of initial) await enqueue(encodeEvent({ type: 'ADDED', object: obj }));
        if (sendInitial && bookmarks) await enqueue(encodeEvent(bookmark({ 'k8s.io/initial-events-end': 'true' })));
      }
      for await (const ev of this.registry.watch(h, this.ns, { fromRevision, filter, signal: ac.signal })) {
        if (ac.signal.aborted) break;
        const rvNow = Number((ev.object as KubeObject).metadata?.resourceVersion);
        if (ev.type !== 'ERROR' && Number.isFinite(rvNow)) lastRevision = rvNow;
        await enqueue(encodeEvent(ev));
        if (ev.type === 'ERROR') break;
      }
      await pending;
    } finally {
      for (const t of timers) clearTimeout(t);
      this.res.off('close', abort);
      this.deps.shutdown.removeEventListener('abort', abort);
      if (!this.res.writableEnded) this.res.end();
    }
  }

  private async create(format: ResponseFormat): Promise<void> {
    if (this.info.name && !this.info.subresource) {
      this.req.resume();
      throw methodNotAllowed();
    }
    const body = await this.decodeObject();
    this.checkFields(body);
    const obj = await this.registry.create(this.h, this.ns, body, this.call, { dryRun: this.dryRun() });
    this.respondObject(201, obj, format, false);
  }

  private async update(format: ResponseFormat): Promise<void> {
    const sub = this.info.subresource;
    if (sub && sub !== 'status') throw methodNotAllowed();
    const body = await this.decodeObject();
    this.checkFields(body);
    const obj = await this.registry.update(this.h, this.ns, this.info.name, sub as '' | 'status', () => body, this.call, { dryRun: this.dryRun() });
    this.respondObject(200, obj, format, false);
  }

  /** Applies a patch body of the request's Content-Type to `current`. */
  private applyPatch(current: unknown, patchBody: unknown, enc: string, kind: { group: string; version: string; kind: string }): unknown {
    const p = this.deps.patch;
    try {
      if (enc === 'strategic-merge') return p.strategic(current, patchBody, kind.group, kind.version, kind.kind);
      if (enc === 'merge') return p.merge(current, patchBody);
      return p.json(current, patchBody);
    } catch (e) {
      if (p.isPatchError(e)) {
        // The patch module's error carries upstream's code and reason; a 422 names the engine's
        // message as an UnexpectedServerResponse cause (apimachinery NewGenericServerResponse).
        const err = e as Error & { code?: number; reason?: string; statusMessage?: string };
        const code = err.code ?? 422;
        const status: Status = {
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
          message: err.statusMessage ?? err.message, reason: err.reason ?? 'Invalid', code,
        };
        if (code === 422) {
          const d: Status['details'] = { name: this.info.name };
          if (this.h.strategy.group) d.group = this.h.strategy.group;
          d.kind = this.h.strategy.resource;
          d.causes = [{ reason: 'UnexpectedServerResponse', message: err.message }];
          status.details = d;
        }
        throw new ApiError(status);
      }
      throw e;
    }
  }

  private async readPatch(): Promise<{ enc: string; patch: unknown }> {
    const enc = bodyEncoding(this.req.headers['content-type']);
    if (enc === 'apply') {
      this.req.resume();
      throw unsupportedMediaType('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (server-side apply is not supported by berth; use client-side kubectl apply)');
    }
    if (enc !== 'strategic-merge' && enc !== 'merge' && enc !== 'json-patch') {
      this.req.resume();
      throw unsupportedMediaType('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json');
    }
    const buf = await readBody(this.req);
    const patch = decodeJson(buf, 'patch');
    if (enc === 'json-patch' && Array.isArray(patch) && patch.length > 10000) {
      throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `The allowed maximum operations in a JSON patch is 10000, got ${patch.length}`, reason: 'RequestEntityTooLarge', code: 413 });
    }
    if (enc !== 'json-patch' && (patch === null || typeof patch !== 'object' || Array.isArray(patch))) {
      throw badRequest(`error decoding patch: json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
    }
    if (enc === 'json-patch' && !Array.isArray(patch)) {
      throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    }
    return { enc, patch };
  }

  private async patch(format: ResponseFormat): Promise<void> {
    const sub = this.info.subresource;
    if (sub && sub !== 'status') throw methodNotAllowed();
    const { enc, patch } = await this.readPatch();
    const s = this.h.strategy;
    const pinned = enc !== 'json-patch' && typeof (patch as KubeObject).metadata?.resourceVersion === 'string';
    const obj = await this.registry.update(this.h, this.ns, this.info.name, sub as '' | 'status', (current) => {
      const out = this.applyPatch(current, patch, enc, s);
      this.checkFields(out, false);
      return out;
    }, this.call, { dryRun: this.dryRun(), retryOnConflict: !pinned });
    this.respondObject(200, obj, format, false);
  }

  private async deleteOptions(): Promise<DeleteOptions> {
    const buf = await readBody(this.req);
    let body: Record<string, any> = {};
    if (buf.length && buf.toString('utf8').trim()) {
      const enc = bodyEncoding(this.req.headers['content-type']);
      const parsed = enc === 'yaml' ? decodeYaml(buf) : decodeJson(buf);
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, any>;
    }
    const opts: DeleteOptions = { dryRun: this.dryRun() || (Array.isArray(body.dryRun) && body.dryRun.includes('All')) };
    const grace = queryInt(this.q, 'gracePeriodSeconds') ?? (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
    if (grace !== undefined) opts.gracePeriodSeconds = Math.max(0, grace);
    const policy = this.q.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents === true ? 'Orphan' : undefined);
    if (policy !== undefined) {
      if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
        throw invalid('', 'DeleteOptions', '', [{ type: 'NotSupported', field: 'propagationPolicy', badValue: policy, supported: ['Foreground', 'Background', 'Orphan', 'nil'] }]);
      }
      opts.propagationPolicy = policy;
    }
    if (body.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions;
    return opts;
  }

  private async delete(format: ResponseFormat): Promise<void> {
    if (this.info.subresource) throw methodNotAllowed();
    const opts = await this.deleteOptions();
    const out = await this.registry.delete(this.h, this.ns, this.info.name, opts, this.call);
    if ((out as Status).kind === 'Status') return this.send(200, out, format);
    this.send(200, out, format);
  }

  private async deleteCollection(format: ResponseFormat): Promise<void> {
    const opts = await this.deleteOptions();
    const items = await this.registry.deleteCollection(this.h, this.ns, this.filter(), opts, this.call);
    const s = this.h.strategy;
    this.send(200, { kind: this.listKind(), apiVersion: s.group ? `${s.group}/${s.version}` : s.version, metadata: {}, items }, format);
  }

  /** autoscaling/v1 Scale of the object, per the strategy's ScaleSpec. */
  private toScale(obj: KubeObject): KubeObject {
    const spec = this.h.strategy.subresources!.scale!;
    const md = obj.metadata;
    const status: Record<string, unknown> = { replicas: Number(getPath(obj, spec.statusReplicasPath) ?? 0) };
    if (spec.labelSelectorPath) {
      const sel = labelSelectorString(getPath(obj, spec.labelSelectorPath));
      if (sel) status.selector = sel;
    }
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
      spec: { replicas: Number(getPath(obj, spec.specReplicasPath) ?? 0) },
      status,
    };
  }

  private async scale(format: ResponseFormat): Promise<void> {
    const { h, info } = this;
    const spec = h.strategy.subresources!.scale!;
    if (info.verb === 'get') {
      const obj = await this.registry.get(h, this.ns, info.name);
      return this.send(200, this.toScale(obj), format);
    }
    if (info.verb !== 'update' && info.verb !== 'patch') throw methodNotAllowed();
    let input: { enc: string; patch: unknown } | undefined;
    let body: KubeObject | undefined;
    if (info.verb === 'patch') input = await this.readPatch();
    else body = (await this.decodeObject()) as KubeObject;
    const obj = await this.registry.update(h, this.ns, info.name, '', (current) => {
      const scale = this.toScale(current);
      let next: KubeObject;
      if (input) next = this.applyPatch(scale, input.patch, input.enc === 'strategic-merge' ? 'merge' : input.enc, { group: 'autoscaling', version: 'v1', kind: 'Scale' }) as KubeObject;
      else next = body!;
      if (!next || typeof next !== 'object') throw badRequest('the body of the request was not a Scale object');
      const want = next.metadata?.resourceVersion;
      if (want && want !== current.metadata.resourceVersion) throw conflict(h.gr, info.name);
      const replicas = next.spec?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid('autoscaling', 'Scale', info.name, [{ type: 'Invalid', field: 'spec.replicas', badValue: replicas ?? null, detail: 'must be greater than or equal to 0' }]);
      }
      setPath(current, spec.specReplicasPath, replicas);
      delete current.metadata.resourceVersion;
      return current;
    }, this.call, { dryRun: this.dryRun(), retryOnConflict: true });
    this.send(200, this.toScale(obj), format);
  }

  /** pods/binding: assigns spec.nodeName once (409 when already bound). */
  private async binding(): Promise<void> {
    const { h, info } = this;
    if (info.verb !== 'create') throw methodNotAllowed();
    const body = (await this.decodeObject()) as KubeObject;
    const node = body?.target?.name;
    if (!node) throw invalid('', 'Binding', info.name, [{ type: 'Required', field: 'target.name' }]);
    const bindingGr = { group: '', resource: 'pods/binding' };
    await this.registry.update(h, this.ns, info.name, '', (pod) => {
      if (pod.metadata.deletionTimestamp) throw conflict(bindingGr, info.name, `pod ${info.name} is being deleted, cannot be assigned to a host`);
      if (pod.spec?.nodeName) throw conflict(bindingGr, info.name, `pod ${info.name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec = { ...(pod.spec ?? {}), nodeName: node };
      const conds: any[] = (pod.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
      conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.deps.now()) });
      pod.status = { ...(pod.status ?? {}), conditions: conds };
      delete pod.metadata.resourceVersion;
      return pod;
    }, this.call, { dryRun: this.dryRun(), retryOnConflict: true, bypassStrategy: true });
    this.send(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, { encoding: 'json', as: 'Object', metaVersion: 'v1', contentType: 'application/json' });
  }

  /** serviceaccounts/token: a TokenRequest signed by the server's service-account key. */
  private async tokenRequest(): Promise<void> {
    const { h, info } = this;
    if (info.verb !== 'create') throw methodNotAllowed();
    const body = ((await this.decodeObject()) ?? {}) as KubeObject;
    const sa = await this.registry.get(h, this.ns, info.name);
    const spec = body.spec ?? {};
    const expirationSeconds = spec.expirationSeconds ?? 3600;
    if (typeof expirationSeconds !== 'number' || expirationSeconds < 600) {
      throw invalid('authentication.k8s.io', 'TokenRequest', info.name, [{ type: 'Invalid', field: 'spec.expirationSeconds', badValue: expirationSeconds, detail: 'may not specify a duration less than 10 minutes' }]);
    }
    if (expirationSeconds > 2 ** 32) {
      throw invalid('authentication.k8s.io', 'TokenRequest', info.name, [{ type: 'TooLong', field: 'spec.expirationSeconds', detail: 'may not specify a duration larger than 2^32 seconds' }]);
    }
    let boundPod: { name: string; uid: string } | undefined;
    const ref = spec.boundObjectRef;
    if (ref?.kind === 'Pod' && ref.name) {
      const podH = this.registry.handler('', 'v1', 'pods');
      if (podH) {
        const pod = await this.registry.get(podH, this.ns, ref.name);
        if (ref.uid && ref.uid !== pod.metadata.uid) throw conflict({ group: '', resource: 'pods' }, ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
        boundPod = { name: ref.name, uid: pod.metadata.uid ?? '' };
      }
    }
    const now = this.deps.now();
    const issued = await this.deps.tokens.issue({ namespace: this.ns, name: info.name, uid: sa.metadata.uid ?? '' }, { audiences: spec.audiences, expirationSeconds, boundPod, now });
    const out = {
      kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: info.name, namespace: this.ns, creationTimestamp: null },
      spec: { audiences: spec.audiences?.length ? spec.audiences : ['https://kubernetes.default.svc.cluster.local'], expirationSeconds, boundObjectRef: ref ?? null },
      status: { token: issued.token, expirationTimestamp: rfc3339(issued.expirationTimestamp) },
    };
    this.send(201, out, { encoding: 'json', as: 'Object', metaVersion: 'v1', contentType: 'application/json' });
  }

  private async podConnect(kind: 'log' | 'exec' | 'attach' | 'portforward'): Promise<void> {
    const { h, info } = this;
    if (kind === 'log' && info.verb !== 'get') throw methodNotAllowed();
    const pod = await this.registry.get(h, this.ns, info.name);
    if (!this.deps.podConnector) throw notFound(h.gr, info.name);
    await this.deps.podConnector.serve(kind, pod, this.req, this.res, this.url);
  }
}

/** Removes the field an `unknown field "a.b[0].c"` message names from `obj`. */
export function dropField(obj: unknown, message: string): void {
  const m = /^unknown field "(.*)"$/.exec(message);
  if (!m) return;
  const parts: Array<string | number> = [];
  for (const seg of m[1].split('.')) {
    const re = /^([^[]*)((?:\[\d+\])*)$/.exec(seg);
    if (!re) return;
    if (re[1]) parts.push(re[1]);
    for (const idx of re[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  let cur: any = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return;
    cur = cur[p];
  }
  if (cur && typeof cur === 'object') delete cur[parts[parts.length - 1]];
}

/** Upstream's summarizeData: the first 30 bytes of a body, as text when it looks like JSON, else hex. */
export function summarizeBody(buf: Buffer, max = 30): string {
  if (buf.length === 0) return '<empty>';
  const part = buf.subarray(0, max);
  const text = buf[0] === 0x7b ? part.toString('utf8') : part.toString('hex');
  return buf.length > max ? `${text} ...` : text;
}

function unknownFormat(): string {
  return 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf';
}
