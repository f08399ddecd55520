// The kubelet's HTTPS API, the part the API server calls for pods/log, pods/exec and
// pods/portforward (upstream pkg/kubelet/server/server.go):
//   GET  /healthz                              ok
//   GET  /containerLogs/{ns}/{pod}/{container}  the CRI log file, parsed and streamed
//   GET|POST /exec/{ns}/{pod}/{container}       WebSocket v5/v4.channel.k8s.io, or SPDY upgrade
//   GET|POST /portForward/{ns}/{pod}            SPDY/3.1 in a WebSocket, or a SPDY upgrade
// Client certificates are required and verified against the cluster CA: only the API server (with
// its kubelet client certificate) calls this. A pod's containers are found through the runtime by
// the upstream labels (io.kubernetes.pod.namespace/name, io.kubernetes.container.name). Exec and
// port-forward go through the runtime's streaming server (CRI Exec / PortForward, containerd's
// stream server on loopback), so the runtime enters the container's namespaces as upstream does.
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { silentLogger, type Logger } from '../../common/log.js';
import { isRuntimeError, type Container, type Runtime } from '../runtime/index.js';
import { CriLogReader, LogFormatter, LogOptionsError, parseLogOptions, tailOffset, type LogOptions } from './cri-log.js';
import { relayExecWebSocket, relaySpdy, spdyOverSocket, spdyOverWebSocket, type ExecStreams } from './relay.js';
import { connectRuntimeStream, StreamUpgradeError, type RuntimeStreamConnection } from './stream-client.js';

/** Upstream's label names on sandboxes and containers (contracts.md "Labels"). */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
/** Pod namespace label. */
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
/** Container name label. */
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';

/** WebSocket sub-protocols accepted for exec, most preferred first. */
export const EXEC_WEBSOCKET_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
/** The remotecommand protocol spoken to the runtime (containerd 1.6 knows up to v4). */
export const RUNTIME_EXEC_PROTOCOL = 'v4.channel.k8s.io';
/** The port-forward protocol (SPDY sub-protocol name). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl 1.32's WebSocket tunnel sub-protocol for port-forward. */
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** How often a follow checks whether the container still runs when the file is quiet. */
const FOLLOW_RECHECK_MS = 1000;

/** What the kubelet server needs. */
export interface KubeletServerOptions {
  /** Address to listen on (the node's address, port 10250 by default; 0 for ephemeral). */
  listen: { host: string; port: number };
  /** The cluster CA (verifies clients) and this kubelet's serving certificate. */
  tls: { caPem: string; certPem: string; keyPem: string };
  runtime: Runtime;
  /**
   * The kubelet root dir (`<data>/kubelet`). Log files are found through the runtime
   * (ContainerStatus.logPath, under `<rootDir>/logs/pods/...`), so nothing here is read from it yet.
   */
  rootDir: string;
  log?: Logger;
  /** Clock for sinceSeconds; default Date.now. */
  now?: () => number;
  /**
   * The pod's last reported status, when the kubelet knows it: `--previous` then reads the
   * container its `lastState.terminated.containerID` names, as upstream does.
   */
  podStatus?: (namespace: string, name: string) => { containerStatuses?: { name: string; lastState?: { terminated?: { containerID?: string } } }[]; initContainerStatuses?: { name: string; lastState?: { terminated?: { containerID?: string } } }[] } | undefined;
}

/** A running kubelet server. */
export interface KubeletServer {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting, ends open streams and resolves when the listener is closed. */
  close(): Promise<void>;
}

/** An error answered as upstream's kubelet does: a status code and a plain-text message. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** A pod's containers of one name, newest attempt first. */
async function containersOf(runtime: Runtime, ns: string, pod: string, container: string): Promise<Container[]> {
  const list = await runtime.listContainers({ labelSelector: { [LABEL_POD_NAMESPACE]: ns, [LABEL_POD_NAME]: pod, [LABEL_CONTAINER_NAME]: container } });
  return list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || (b.createdAt > a.createdAt ? 1 : b.createdAt < a.createdAt ? -1 : 0));
}

async function podExists(runtime: Runtime, ns: string, pod: string): Promise<boolean> {
  const sbs = await runtime.listPodSandbox({ labelSelector: { [LABEL_POD_NAMESPACE]: ns, [LABEL_POD_NAME]: pod } });
  return sbs.length > 0;
}

/**
 * The container whose log a request reads, following upstream's validateContainerLogStatus
 * (pkg/kubelet/kubelet_pods.go) as far as the runtime can tell: the newest attempt, or with
 * `previous` the one before it.
 */
export async function logTarget(runtime: Runtime, ns: string, pod: string, container: string, previous: boolean, lastTerminatedId?: string): Promise<Container> {
  const list = await containersOf(runtime, ns, pod, container);
  if (list.length === 0) {
    if (!(await podExists(runtime, ns, pod))) throw new HttpError(404, `pod "${pod}" does not exist`);
    if (previous) throw new HttpError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    throw new HttpError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  }
  if (previous) {
    const byStatus = lastTerminatedId ? list.find((c) => c.id === lastTerminatedId) : undefined;
    if (byStatus) return byStatus;
    const prev = list.find((c, i) => i > 0 && c.state === 'CONTAINER_EXITED');
    if (!prev) throw new HttpError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    return prev;
  }
  const cur = list[0];
  if (cur.state === 'CONTAINER_CREATED') {
    const prev = list.find((c) => c.state === 'CONTAINER_EXITED');
    if (prev) return prev;
    throw new HttpError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  }
  return cur;
}

/** Splits `/a/b/c` into decoded segments. */
function segments(pathname: string): string[] {
  return pathname.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
}

/** Starts the kubelet's HTTPS server. */
export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const log = (opts.log ?? silentLogger).child({ component: 'kubelet-server' });
  const runtime = opts.runtime;
  const now = opts.now ?? Date.now;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => pickProtocol(offered) });
  const open = new Set<{ close(): void }>();

  function pickProtocol(offered: Set<string>): string | false {
    for (const p of [...EXEC_WEBSOCKET_PROTOCOLS, PORT_FORWARD_WEBSOCKET_PROTOCOL]) if (offered.has(p)) return p;
    return false;
  }

  const server: Server = createServer({
    ca: opts.tls.caPem, cert: opts.tls.certPem, key: opts.tls.keyPem, requestCert: true, rejectUnauthorized: true,
  }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const msg = e instanceof HttpError || e instanceof LogOptionsError ? e.message : (e as Error).message;
      if (!(e instanceof HttpError)) log.warn({ err: msg, path: req.url }, 'request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(e instanceof LogOptionsError ? 400 : status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(msg);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const seg = segments(url.pathname);
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (seg[0] === 'containerLogs' && seg.length === 4 && req.method === 'GET') {
      await serveLogs(req, res, seg[1], seg[2], seg[3], url.searchParams);
      return;
    }
    if ((seg[0] === 'exec' && seg.length === 4) || (seg[0] === 'portForward' && seg.length === 3)) {
      throw new HttpError(400, 'Upgrade request required');
    }
    throw new HttpError(404, '404 page not found');
  }

  async function serveLogs(req: IncomingMessage, res: ServerResponse, ns: string, pod: string, container: string, q: URLSearchParams): Promise<void> {
    const lo: LogOptions = parseLogOptions(q, now());
    const st = opts.podStatus?.(ns, pod);
    const cs = [...(st?.containerStatuses ?? []), ...(st?.initContainerStatuses ?? [])].find((c) => c.name === container);
    const lastId = cs?.lastState?.terminated?.containerID?.replace(/^[a-z]+:\/\//, '');
    const target = await logTarget(runtime, ns, pod, container, lo.previous, lastId);
    const status = await runtime.containerStatus(target.id);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const fmt = new LogFormatter(lo);
    // Without follow, the answer is the log as it was when the request came: a container that
    // writes fast must not stretch `--tail=2` into every line written since.
    const probe = new CriLogReader(status.logPath);
    const end = lo.follow ? undefined : Math.max(0, await probe.size());
    const reader = new CriLogReader(status.logPath, await tailOffset(status.logPath, lo.tailLines, end));
    const pump = async (): Promise<boolean> => {
      for (;;) {
        const before = reader.position;
        const lines = await reader.readNew(end);
        for (const line of lines) {
          const out = fmt.format(line);
          if (out.length && !res.write(out)) await new Promise<void>((r) => { res.once('drain', r); res.once('close', r); });
          if (fmt.limitReached || ac.signal.aborted) return false;
        }
        if (reader.position === before || (end !== undefined && reader.position >= end)) return true;
      }
    };
    let more = await pump();
    if (lo.follow && more && !lo.previous) {
      let watcher: FSWatcher | undefined;
      let wake: (() => void) | undefined;
      try {
        watcher = watch(status.logPath, () => wake?.());
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined;
      }
      try {
        while (more && !ac.signal.aborted) {
          await new Promise<void>((r) => {
            wake = r;
            const t = setTimeout(r, FOLLOW_RECHECK_MS);
            ac.signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true });
          });
          wake = undefined;
          more = await pump();
          if (!more || ac.signal.aborted) break;
          // The container exited and everything it wrote was read: the follow ends, as upstream's.
          const st = await runtime.containerStatus(target.id).catch(() => undefined);
          if (!st || st.state !== 'CONTAINER_RUNNING') {
            more = await pump();
            if (!(await reader.hasMore())) break;
          }
        }
      } finally {
        watcher?.close();
      }
    }
    res.end();
  }

  /** Answers an upgrade request with an HTTP error (kubectl prints the text). */
  function rejectSocket(socket: Duplex, status: number, message: string): void {
    const reason = status === 400 ? 'Bad Request' : status === 404 ? 'Not Found' : 'Internal Server Error';
    const body = Buffer.from(message, 'utf8');
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${message}`);
  }

  function errorOf(e: unknown): { status: number; message: string } {
    if (e instanceof HttpError) return { status: e.status, message: e.message };
    if (e instanceof StreamUpgradeError) return { status: e.status >= 400 ? e.status : 500, message: e.message };
    if (isRuntimeError(e, 'NotFound')) return { status: 404, message: e.message };
    return { status: 500, message: (e as Error).message };
  }

  function isWebSocket(req: IncomingMessage): boolean {
    return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  }

  /** The versions a SPDY client offers (one X-Stream-Protocol-Version header each, or comma-joined). */
  function offeredSpdyProtocols(req: IncomingMessage): string[] {
    const raw = req.headers['x-stream-protocol-version'];
    const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
    return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  }

  function track(conn: RuntimeStreamConnection): void {
    open.add(conn);
    conn.session.once('close', () => open.delete(conn));
  }

  async function upgradeExec(req: IncomingMessage, socket: Duplex, head: Buffer, ns: string, pod: string, container: string, q: URLSearchParams): Promise<void> {
    const want: ExecStreams = { stdin: queryBool(q, 'stdin'), stdout: queryBool(q, 'stdout'), stderr: queryBool(q, 'stderr'), tty: queryBool(q, 'tty') };
    const cmd = q.getAll('command');
    if (!want.stdin && !want.stdout && !want.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
    if (cmd.length === 0) throw new HttpError(400, 'you must specify at least one command for the container');
    const ws = isWebSocket(req);
    if (ws && !pickProtocol(new Set(String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim())))) {
      throw new HttpError(400, `unable to upgrade: no supported protocol offered; supported: ${EXEC_WEBSOCKET_PROTOCOLS.join(', ')}`);
    }
    if (!ws && !offeredSpdyProtocols(req).includes(RUNTIME_EXEC_PROTOCOL)) {
      throw new HttpError(400, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offeredSpdyProtocols(req))}, server supports ["${RUNTIME_EXEC_PROTOCOL}"]`);
    }
    const running = (await containersOf(runtime, ns, pod, container)).find((c) => c.state === 'CONTAINER_RUNNING');
    if (!running) {
      if (!(await podExists(runtime, ns, pod))) throw new HttpError(404, 'pod does not exist');
      // Upstream's GetExec error, written through streaming.WriteError: a non-gRPC error is a 500.
      throw new HttpError(500, `container not found ("${container}")`);
    }
    if (!runtime.exec) throw new HttpError(500, 'the container runtime does not support exec');
    const streamUrl = await runtime.exec({ containerId: running.id, cmd, ...want, stderr: want.stderr && !want.tty });
    const backend = await connectRuntimeStream(streamUrl, [RUNTIME_EXEC_PROTOCOL]);
    track(backend);
    log.debug({ ns, pod, container, websocket: ws }, 'exec started');
    if (ws) {
      wss.handleUpgrade(req, socket, head, (client: WebSocket) => {
        void relayExecWebSocket(client, client.protocol, backend, want, log);
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${RUNTIME_EXEC_PROTOCOL}\r\n\r\n`);
    void relaySpdy(spdyOverSocket(socket, head), backend, log);
  }

  async function upgradePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, ns: string, pod: string): Promise<void> {
    const ws = isWebSocket(req);
    if (ws && !String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).includes(PORT_FORWARD_WEBSOCKET_PROTOCOL)) {
      throw new HttpError(400, `unable to upgrade: no supported protocol offered; supported: ${PORT_FORWARD_WEBSOCKET_PROTOCOL}`);
    }
    if (!ws && !offeredSpdyProtocols(req).includes(PORT_FORWARD_PROTOCOL)) {
      throw new HttpError(400, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offeredSpdyProtocols(req))}, server supports ["${PORT_FORWARD_PROTOCOL}"]`);
    }
    const sandboxes = (await runtime.listPodSandbox({ labelSelector: { [LABEL_POD_NAMESPACE]: ns, [LABEL_POD_NAME]: pod }, state: 'SANDBOX_READY' }))
      .sort((a, b) => (b.createdAt > a.createdAt ? 1 : b.createdAt < a.createdAt ? -1 : 0));
    if (sandboxes.length === 0) throw new HttpError(404, 'pod does not exist');
    if (!runtime.portForward) throw new HttpError(500, 'the container runtime does not support port forwarding');
    const streamUrl = await runtime.portForward(sandboxes[0].id, []);
    const backend = await connectRuntimeStream(streamUrl, [PORT_FORWARD_PROTOCOL]);
    track(backend);
    log.debug({ ns, pod, websocket: ws }, 'port-forward started');
    if (ws) {
      wss.handleUpgrade(req, socket, head, (client: WebSocket) => {
        void relaySpdy(spdyOverWebSocket(client), backend, log);
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    void relaySpdy(spdyOverSocket(socket, head), backend, log);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const tlsSocket = socket as unknown as TLSSocket;
    if (typeof tlsSocket.authorized === 'boolean' && !tlsSocket.authorized) {
      rejectSocket(socket, 401, 'Unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const seg = segments(url.pathname);
    const work = seg[0] === 'exec' && seg.length === 4
      ? upgradeExec(req, socket, head, seg[1], seg[2], seg[3], url.searchParams)
      : seg[0] === 'portForward' && seg.length === 3
        ? upgradePortForward(req, socket, head, seg[1], seg[2])
        : Promise.reject(new HttpError(404, '404 page not found'));
    work.catch((e: unknown) => {
      const { status, message } = errorOf(e);
      log.debug({ path: url.pathname, status, err: message }, 'stream request refused');
      rejectSocket(socket, status, message);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.listen.host, port }, 'kubelet server listening');

  return {
    port,
    close: async () => {
      for (const c of [...open]) c.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
