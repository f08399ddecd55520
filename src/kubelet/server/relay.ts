// Relays between a client's streaming connection (kubectl through the API server) and the runtime's
// streaming server. Exec over WebSocket channels is translated to SPDY remotecommand v4 streams;
// SPDY from the client (port-forward, and exec from older clients) is relayed stream for stream,
// each client stream opened again on the runtime's session with the same headers.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../../common/log.js';
import { SpdySession, type SpdyStream } from './spdy.js';
import type { RuntimeStreamConnection } from './stream-client.js';

/** WebSocket channel numbers of channel.k8s.io (client-go tools/remotecommand v4.go, v5.go). */
export const Channel = { STDIN: 0, STDOUT: 1, STDERR: 2, ERROR: 3, RESIZE: 4, CLOSE: 255 } as const;

/** The status the v4 protocol reports for a command that exited 0. */
const SUCCESS_STATUS = JSON.stringify({ metadata: {}, status: 'Success' });

/** Which streams an exec attaches. */
export interface ExecStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * Bridges an accepted exec WebSocket (`v5.channel.k8s.io` or `v4.channel.k8s.io`) to a runtime
 * SPDY session speaking remotecommand v4. Messages from the client that arrive before the runtime
 * streams exist are held and replayed. Resolves when both sides are closed.
 */
export async function relayExecWebSocket(ws: WebSocket, protocol: string, backend: RuntimeStreamConnection, want: ExecStreams, log: Logger): Promise<void> {
  const held: Buffer[] = [];
  let deliver: ((msg: Buffer) => void) | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const msg = Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (deliver) deliver(msg);
    else held.push(msg);
  });
  let clientClosed = false;
  ws.on('close', () => {
    clientClosed = true;
    backend.close();
  });
  ws.on('error', () => backend.close());

  const done = new Promise<void>((resolve) => backend.session.once('close', resolve));
  const send = (channel: number, data: Buffer): void => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
  };

  const s = backend.session;
  let errorText = '';
  let errorEnded = false;
  let failure: string | undefined;
  try {
    // The order client-go uses: error first, then the data streams, resize last.
    const errorStream = await s.openStream({ streamType: 'error' });
    errorStream.on('data', (d: Buffer) => (errorText += d.toString('utf8')));
    errorStream.on('end', () => (errorEnded = true));
    const stdin = want.stdin ? await s.openStream({ streamType: 'stdin' }) : undefined;
    const stdout = want.stdout ? await s.openStream({ streamType: 'stdout' }) : undefined;
    const stderr = want.stderr && !want.tty ? await s.openStream({ streamType: 'stderr' }) : undefined;
    const resize = want.tty ? await s.openStream({ streamType: 'resize' }) : undefined;
    for (const st of [errorStream, stdin, stdout, stderr, resize]) st?.on('error', () => undefined);
    stdout?.on('data', (d: Buffer) => send(Channel.STDOUT, d));
    stderr?.on('data', (d: Buffer) => send(Channel.STDERR, d));
    deliver = (msg) => {
      if (msg.length === 0) return;
      const ch = msg[0];
      const body = msg.subarray(1);
      if (ch === Channel.STDIN) {
        if (body.length) stdin?.write(body);
      } else if (ch === Channel.RESIZE) {
        resize?.write(body);
      } else if (ch === Channel.CLOSE && protocol.startsWith('v5.') && body[0] === Channel.STDIN) {
        stdin?.end();
      }
    };
    for (const m of held.splice(0)) deliver(m);
  } catch (e) {
    failure = `error opening the exec streams on the container runtime: ${(e as Error).message}`;
    log.warn({ err: (e as Error).message }, 'exec streams could not be opened on the runtime');
    backend.close();
  }

  await done;
  // Let stream events queued by the last frames run before the status is chosen.
  await new Promise((r) => setImmediate(r));
  if (!clientClosed && ws.readyState === ws.OPEN) {
    // The runtime writes the status (Success included) and then closes its session; an error
    // stream that ended empty is success too, as client-go reads it. A session that died without
    // either is a failure the client must see, not a silent success.
    const lost = failure ?? 'error: the container runtime closed the exec stream without an exit status';
    const status = errorText || (errorEnded ? SUCCESS_STATUS : JSON.stringify({ metadata: {}, status: 'Failure', message: lost, reason: 'InternalError', code: 500 }));
    send(Channel.ERROR, Buffer.from(status, 'utf8'));
    ws.close(1000);
  }
}

/**
 * Relays a client SPDY session to the runtime's session: every stream the client opens is opened
 * on the runtime with the same headers; the client gets its SYN_REPLY once the runtime answered
 * (or a reset if it refused); bytes and half-closes flow both ways. Closing either session closes
 * the other.
 */
export function relaySpdy(client: SpdySession, backend: RuntimeStreamConnection, log: Logger): Promise<void> {
  const onStream = (cs: SpdyStream): void => {
    cs.on('error', () => undefined);
    cs.pause();
    backend.session.openStream(cs.headers).then(async (bs) => {
      bs.on('error', () => undefined);
      await cs.reply();
      cs.pipe(bs);
      bs.pipe(cs);
      // A reset on either side aborts the other (kubectl resets a stream whose local connection broke).
      cs.once('close', () => { if (cs.wasReset && !bs.destroyed) bs.reset(); });
      bs.once('close', () => { if (bs.wasReset && !cs.destroyed) cs.reset(); });
      cs.resume();
    }, (e: Error) => {
      log.debug({ err: e.message, headers: cs.headers }, 'runtime refused a stream');
      cs.reset();
    });
  };
  client.on('stream', onStream);
  client.once('close', () => backend.close());
  // The runtime closes right after its last writes (an exec's exit status): pass them on first.
  backend.session.once('close', () => void client.closeGracefully());
  return new Promise((resolve) => {
    let n = 0;
    const one = (): void => {
      if (++n === 2) resolve();
    };
    if (client.isClosed) one();
    else client.once('close', one);
    if (backend.session.isClosed) one();
    else backend.session.once('close', one);
  });
}

/** Runs a server-side SPDY session over a raw upgraded socket. */
export function spdyOverSocket(socket: Duplex, head: Buffer): SpdySession {
  const session: SpdySession = new SpdySession({ client: false, write: (b) => socket.write(b), onStream: (st) => session.emit('stream', st) });
  socket.on('data', (d: Buffer) => session.receive(d));
  socket.on('end', () => session.receiveEnd());
  socket.on('close', () => session.receiveEnd());
  socket.on('error', () => session.receiveEnd());
  session.on('close', () => {
    // End (flushing what was written), and destroy if the peer never closes its side.
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
  });
  if (head.length) session.receive(head);
  return session;
}

/** Runs a server-side SPDY session tunnelled in WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`). */
export function spdyOverWebSocket(ws: WebSocket): SpdySession {
  const session: SpdySession = new SpdySession({
    client: false,
    write: (b) => {
      if (ws.readyState === ws.OPEN) ws.send(b, { binary: true });
    },
    onStream: (st) => session.emit('stream', st),
  });
  ws.on('message', (data: Buffer) => session.receive(Buffer.isBuffer(data) ? data : Buffer.from(data)));
  ws.on('close', () => session.receiveEnd());
  ws.on('error', () => session.receiveEnd());
  session.on('close', () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  return session;
}
