// The client side of the runtime's streaming server (containerd's CRI stream server, which serves
// the URLs CRI Exec and PortForward return): an HTTP/1.1 upgrade to SPDY/3.1 with the wanted
// sub-protocol in X-Stream-Protocol-Version, then a SPDY session on the socket, as client-go's
// spdy round tripper does. The URL is on loopback (containerd's stream_server_address).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { SpdySession, type SpdyStream } from './spdy.js';

/** A SPDY session to the runtime's streaming server. */
export interface RuntimeStreamConnection {
  session: SpdySession;
  /** The sub-protocol the server chose (X-Stream-Protocol-Version of its 101). */
  protocol: string;
  /** Closes the session and the socket. */
  close(): void;
}

/** Why the streaming server refused the upgrade: its status and body text. */
export class StreamUpgradeError extends Error {
  override readonly name = 'StreamUpgradeError';

  /** `status` 0 for transport errors. */
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Upgrades `url` to SPDY offering `protocols` (in preference order) and returns the session.
 * `onStream` handles streams the server opens (none for exec or port-forward).
 */
export function connectRuntimeStream(url: string, protocols: string[], opts: { signal?: AbortSignal; onStream?: (s: SpdyStream) => void } = {}): Promise<RuntimeStreamConnection> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request({
      host: u.hostname, port: u.port || (u.protocol === 'https:' ? 443 : 80), path: `${u.pathname}${u.search}`, method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols },
      signal: opts.signal,
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      socket.setNoDelay(true);
      const session = new SpdySession({ client: true, write: (b) => socket.write(b), onStream: opts.onStream });
      socket.on('data', (d: Buffer) => session.receive(d));
      socket.on('end', () => session.receiveEnd());
      socket.on('close', () => session.receiveEnd());
      socket.on('error', () => session.receiveEnd());
      session.on('close', () => socket.destroy());
      if (head.length) session.receive(head);
      resolve({
        session,
        protocol: String(res.headers['x-stream-protocol-version'] ?? ''),
        close: () => {
          session.close();
          socket.destroy();
        },
      });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new StreamUpgradeError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8').trim() || `unable to upgrade connection: ${res.statusMessage ?? ''}`)));
    });
    req.on('error', (e) => reject(new StreamUpgradeError(0, e.message)));
    req.end();
  });
}
