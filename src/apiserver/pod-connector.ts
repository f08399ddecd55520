// Pod subresources served by the pod's kubelet: `log` (proxied as a stream) and `exec`, `attach`,
// `portforward` (protocol upgrades proxied byte for byte). The kubelet's address comes from its
// Node object (status.addresses InternalIP, status.daemonEndpoints.kubeletEndpoint.Port), and the
// API server authenticates to it with its kubelet client certificate. Errors are answered as
// upstream does when the kubelet cannot be reached: a 500 Status with no reason whose message is
// the dial error, which kubectl prints as `Error from server: ...`.
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from '../common/log.js';
import type { KubeObject } from './resources/types.js';
import type { ResourceRegistry } from './registry.js';
import { ApiError, badRequest, internalError, notFound, unknownError, type Status } from './status.js';
import type { PodConnector } from './handler.js';

/** What the connector needs. */
export interface PodConnectorDeps {
  registry: ResourceRegistry;
  caPem: string;
  clientCert: string;
  clientKey: string;
  log: Logger;
}

/** The kubelet's HTTPS address for a node, or an ApiError. */
export async function kubeletAddress(registry: ResourceRegistry, nodeName: string): Promise<{ host: string; port: number }> {
  const h = registry.handler('', 'v1', 'nodes');
  if (!h) throw notFound({ group: '', resource: 'nodes' }, nodeName);
  const node = await registry.get(h, '', nodeName);
  const addrs: Array<{ type: string; address: string }> = node.status?.addresses ?? [];
  const pick = addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'Hostname') ?? addrs[0];
  const port = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250) || 10250;
  if (!pick) throw badRequest(`node ${nodeName} has no address`);
  return { host: pick.address, port };
}

/** Names of every container of a pod (regular, init, ephemeral), in spec order. */
function containerNames(pod: KubeObject): { regular: string[]; all: string[] } {
  const regular = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c: { name: string }) => c.name);
  const eph = (pod.spec?.ephemeralContainers ?? []).map((c: { name: string }) => c.name);
  return { regular, all: [...regular, ...init, ...eph] };
}

/** The container a request addresses, validated as upstream's LogLocation/ExecLocation do. */
export function resolveContainer(pod: KubeObject, requested: string | null): string {
  const name = pod.metadata.name;
  const { regular, all } = containerNames(pod);
  if (requested) {
    if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const dflt = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (dflt && all.includes(dflt)) return dflt;
  if (regular.length === 1) return regular[0];
  if (regular.length === 0) throw badRequest(`pod ${name} does not have a container`);
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}

function dialError(method: string, url: string, e: NodeJS.ErrnoException, host: string, port: number): string {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let why = e.message;
  if (e.code === 'ECONNREFUSED') why = `dial tcp ${target}: connect: connection refused`;
  else if (e.code === 'EHOSTUNREACH') why = `dial tcp ${target}: connect: no route to host`;
  else if (e.code === 'ETIMEDOUT') why = `dial tcp ${target}: i/o timeout`;
  return `${method} "${url}": ${why}`;
}

/** Writes a Status as a raw HTTP/1.1 response on an upgrade socket. */
function writeSocketStatus(socket: Duplex, s: Status): void {
  const body = JSON.stringify(s);
  const reason = s.code === 400 ? 'Bad Request' : s.code === 404 ? 'Not Found' : s.code === 401 ? 'Unauthorized' : 'Internal Server Error';
  socket.end(`HTTP/1.1 ${s.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** How much of a kubelet's error body becomes the message (upstream's maxReadLength is 50000). */
const MAX_ERROR_BODY = 50000;

/**
 * The Status for a kubelet's non-2xx answer to a log request, as upstream's
 * GenericHttpResponseChecker (k8s.io/apiserver pkg/registry/generic/rest/response_checker.go)
 * builds it: 400 -> BadRequest with the body as message (`kubectl logs --previous` prints
 * `Error from server (BadRequest): previous terminated container ...`), 500 -> InternalError,
 * anything else -> a generic response for `pods/log` whose cause carries the body.
 */
export function kubeletResponseError(code: number, body: string, podName: string): ApiError {
  if (code === 400) return badRequest(body);
  if (code === 500) return internalError(body);
  const reasons: Record<number, [string, string]> = {
    401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
    403: ['Forbidden', 'the server does not allow access to the requested resource'],
    404: ['NotFound', 'the server could not find the requested resource'],
    409: ['Conflict', 'the server reported a conflict'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  };
  const [reason, message] = reasons[code] ?? ['InternalError', `an error on the server ("${body}") has prevented the request from succeeding`];
  const status: Status = {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message,
    details: { name: podName, kind: 'pods/log', causes: body ? [{ reason: 'UnexpectedServerResponse', message: body }] : undefined },
  };
  if (!body) delete status.details?.causes;
  return new ApiError(status);
}

/** Creates the connector that reaches kubelets over HTTPS. */
export function createPodConnector(deps: PodConnectorDeps): PodConnector {
  const tls = { ca: deps.caPem, cert: deps.clientCert, key: deps.clientKey };

  const kubeletPath = (kind: string, pod: KubeObject, container: string, url: URL): string => {
    const q = new URLSearchParams(url.searchParams);
    q.delete('container');
    const ns = encodeURIComponent(pod.metadata.namespace ?? '');
    const name = encodeURIComponent(pod.metadata.name ?? '');
    const qs = q.toString();
    if (kind === 'log') return `/containerLogs/${ns}/${name}/${encodeURIComponent(container)}${qs ? `?${qs}` : ''}`;
    if (kind === 'portforward') return `/portForward/${ns}/${name}${qs ? `?${qs}` : ''}`;
    return `/${kind}/${ns}/${name}/${encodeURIComponent(container)}${qs ? `?${qs}` : ''}`;
  };

  return {
    async serve(kind, pod, req, res, url) {
      req.resume();
      if (kind !== 'log') throw badRequest('Upgrade request required');
      const container = resolveContainer(pod, url.searchParams.get('container'));
      const nodeName: string | undefined = pod.spec?.nodeName;
      if (!nodeName) {
        // No host assigned: upstream's LogLocation yields no location and an empty stream.
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '0' });
        res.end();
        return;
      }
      const { host, port } = await kubeletAddress(deps.registry, nodeName);
      const path = kubeletPath('log', pod, container, url);
      const target = `https://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
      await new Promise<void>((resolve, reject) => {
        const up = httpsRequest({ host, port, path, method: 'GET', ...tls, headers: { accept: '*/*' } }, (kr) => {
          const headers: Record<string, string> = { 'Content-Type': String(kr.headers['content-type'] ?? 'text/plain') };
          const code = kr.statusCode ?? 500;
          if (code < 200 || code > 206) {
            // The kubelet answers errors as plain text; turn them into a Status as upstream does.
            const chunks: Buffer[] = [];
            let size = 0;
            kr.on('data', (c: Buffer) => {
              if (size < MAX_ERROR_BODY) chunks.push(c);
              size += c.length;
            });
            kr.on('end', () => reject(kubeletResponseError(code, Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8'), pod.metadata.name ?? '')));
            kr.on('error', (e) => reject(unknownError(e.message)));
            return;
          }
          res.writeHead(200, { ...headers, 'Transfer-Encoding': 'chunked' });
          res.flushHeaders();
          kr.pipe(res);
          kr.on('end', () => resolve());
          kr.on('error', () => resolve());
          res.on('close', () => { kr.destroy(); resolve(); });
        });
        up.on('error', (e: NodeJS.ErrnoException) => {
          if (res.headersSent) {
            res.destroy();
            resolve();
            return;
          }
          deps.log.warn({ node: nodeName, err: e.message }, 'kubelet unreachable for logs');
          reject(unknownError(dialError('Get', target, e, host, port)));
        });
        up.end();
      });
    },

    async upgrade(kind, pod, req, socket, head, url) {
      try {
        const container = kind === 'portforward' ? '' : resolveContainer(pod, url.searchParams.get('container'));
        const nodeName: string | undefined = pod.spec?.nodeName;
        if (!nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
        const { host, port } = await kubeletAddress(deps.registry, nodeName);
        const path = kubeletPath(kind, pod, container, url);
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (v === undefined || k === 'authorization' || k === 'host') continue;
          headers[k] = v;
        }
        await new Promise<void>((resolve, reject) => {
          const up = httpsRequest({ host, port, path, method: req.method, ...tls, headers });
          up.on('upgrade', (kr, ksock, khead) => {
            const lines = [`HTTP/1.1 ${kr.statusCode} ${kr.statusMessage ?? 'Switching Protocols'}`];
            for (let i = 0; i < kr.rawHeaders.length; i += 2) lines.push(`${kr.rawHeaders[i]}: ${kr.rawHeaders[i + 1]}`);
            socket.write(lines.join('\r\n') + '\r\n\r\n');
            if (khead.length) socket.write(khead);
            if (head.length) ksock.write(head);
            ksock.pipe(socket);
            socket.pipe(ksock);
            const done = (): void => { ksock.destroy(); socket.destroy(); resolve(); };
            ksock.on('close', done);
            socket.on('close', done);
            ksock.on('error', done);
            socket.on('error', done);
          });
          up.on('response', (kr) => {
            // The kubelet refused the upgrade: relay its answer.
            const lines = [`HTTP/1.1 ${kr.statusCode} ${kr.statusMessage ?? ''}`];
            for (let i = 0; i < kr.rawHeaders.length; i += 2) lines.push(`${kr.rawHeaders[i]}: ${kr.rawHeaders[i + 1]}`);
            socket.write(lines.join('\r\n') + '\r\n\r\n');
            kr.pipe(socket);
            kr.on('end', () => { socket.end(); resolve(); });
          });
          up.on('error', (e: NodeJS.ErrnoException) => {
            deps.log.warn({ node: nodeName, err: e.message }, 'kubelet unreachable for a stream');
            reject(unknownError(`error dialing backend: ${dialError('', '', e, host, port).replace(/^ "": /, '')}`));
          });
          up.end();
        });
      } catch (e) {
        const s = e instanceof ApiError ? e.status : unknownError((e as Error).message).status;
        writeSocketStatus(socket, s);
      }
    },
  };
}

/** Writes an ApiError on a raw upgrade socket (auth and routing failures before the connector). */
export function rejectUpgrade(socket: Duplex, e: unknown): void {
  const s = e instanceof ApiError ? e.status : unknownError((e as Error).message).status;
  writeSocketStatus(socket, s);
}
