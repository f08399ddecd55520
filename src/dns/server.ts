// Cluster DNS: answers the cluster zone from Service and EndpointSlice informers over UDP and TCP
// (RFC 1035 framing, RFC 7766 for TCP), refuses or forwards everything else.
//
// The address: the listen address (10.43.0.10 in production) is put on `lo` as a /32, so it is a
// local address of the host. The host reaches it directly; pods reach it through their bridge
// gateway (the host routes it locally). No DNAT and no extra interface are involved, and it works
// whether or not the proxy runs. cleanupDns() takes the address off again.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { silentLogger, type Logger } from '../common/log.js';
import { RESOURCES, startInformer, type ApiObject, type Client } from '../client/index.js';
import { ClusterZone, type ZoneAnswer } from './records.js';

const execFileP = promisify(execFile);

/** One address the DNS server listens on (UDP and TCP). */
export interface DnsListen {
  host: string;
  port: number;
}

/** Options of {@link startDns}. */
export interface DnsOptions {
  client: Client;
  /** Where to listen, e.g. `[{ host: '10.43.0.10', port: 53 }]`. Port 0 picks a free port. */
  listen: DnsListen[];
  /** The cluster domain (default `cluster.local`). */
  domain?: string;
  /**
   * Nameservers (`ip` or `ip:port`) that names outside the cluster domain are forwarded to. Empty
   * or absent: such names are answered REFUSED and nothing leaves the machine.
   * {@link hostNameservers} reads the host's /etc/resolv.conf for callers that want forwarding.
   */
  upstream?: string[];
  /** Put non-loopback listen addresses on `lo` as /32 when they are not local yet (default true). */
  assignAddresses?: boolean;
  log?: Logger;
}

/** A running DNS server. */
export interface Dns {
  /** The bound addresses (with the real port when 0 was asked). */
  addresses: DnsListen[];
  /** Resolves once the Service and EndpointSlice caches are loaded. */
  synced(): Promise<void>;
  /** Closes the sockets and stops watching (idempotent); the /32 addresses stay until {@link cleanupDns}. */
  stop(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
/** Largest UDP answer for a client without EDNS (RFC 1035 4.2.1). */
const UDP_PLAIN_MAX = 512;

/** The `nameserver` lines of a resolv.conf (the host's, by default). */
export async function hostNameservers(path = '/etc/resolv.conf'): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
}

function isLocalAddress(host: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === host));
}

function needsAssignment(host: string): boolean {
  return host !== '0.0.0.0' && host !== '::' && !host.startsWith('127.') && host !== '::1' && !host.includes(':');
}

/** Starts the cluster DNS server; rejects when a listen address cannot be bound. */
export async function startDns(opts: DnsOptions): Promise<Dns> {
  const log = (opts.log ?? silentLogger).child({ component: 'dns' });
  const domain = opts.domain ?? 'cluster.local';
  const upstream = opts.upstream ?? [];

  for (const l of opts.listen) {
    if ((opts.assignAddresses ?? true) && needsAssignment(l.host) && !isLocalAddress(l.host)) {
      await execFileP('ip', ['addr', 'add', `${l.host}/32`, 'dev', 'lo']).catch((e: { stderr?: string }) => {
        if (!/File exists/.test(e.stderr ?? '')) throw new Error(`ip addr add ${l.host}/32 dev lo: ${e.stderr ?? ''}`.trim());
      });
    }
  }

  let zone: ClusterZone | undefined;
  const invalidate = (): void => { zone = undefined; };
  const handlers = { onAdd: invalidate, onUpdate: invalidate, onDelete: invalidate };
  const services = startInformer<ApiObject>(opts.client, RESOURCES.services, { handlers, log });
  const slices = startInformer<ApiObject>(opts.client, RESOURCES.endpointslices, { handlers, log });
  const currentZone = (): ClusterZone => {
    zone ??= new ClusterZone(domain, services.list() as unknown as Service[], slices.list() as unknown as EndpointSlice[]);
    return zone;
  };

  /** Answers one query message; undefined means drop it (not a decodable query). */
  const handle = async (msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    if (query.type !== 'query') return undefined;
    const question = query.questions?.[0];
    const ednsSize = (query.additionals ?? []).find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
    const reply = (rcode: number, ans?: ZoneAnswer): Buffer => {
      const rd = query.flags !== undefined ? query.flags & dnsPacket.RECURSION_DESIRED : 0;
      const packet: dnsPacket.Packet = {
        type: 'response', id: query.id, flags: (ans ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | rd | rcode,
        questions: query.questions,
        answers: (ans?.answers ?? []) as dnsPacket.Answer[],
        authorities: (ans?.authorities ?? []) as dnsPacket.Answer[],
        additionals: (ans?.additionals ?? []) as dnsPacket.Answer[],
      };
      if (ednsSize) packet.additionals = [...(packet.additionals ?? []), { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.OptAnswer];
      let out = dnsPacket.encode(packet);
      const limit = ednsSize ? Math.max(ednsSize.udpPayloadSize, UDP_PLAIN_MAX) : UDP_PLAIN_MAX;
      if (transport === 'udp' && out.length > limit) {
        // Too big for this client over UDP: the header and question only, with TC set (RFC 2181 9).
        out = dnsPacket.encode({ type: 'response', id: query.id, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, questions: query.questions });
      }
      return out;
    };
    if (!question || (query.questions?.length ?? 0) !== 1) return reply(RCODE.SERVFAIL);
    let ans: ZoneAnswer;
    try {
      ans = currentZone().answer(question.name, question.type);
    } catch (e) {
      log.error({ err: (e as Error).message, name: question.name }, 'answering a query failed');
      return reply(RCODE.SERVFAIL);
    }
    if (ans.rcode === 'NOERROR') return reply(RCODE.NOERROR, ans);
    if (ans.rcode === 'NXDOMAIN') return reply(RCODE.NXDOMAIN, ans);
    if (upstream.length === 0) return reply(RCODE.REFUSED);
    const forwarded = await forward(msg, upstream);
    return forwarded ?? reply(RCODE.SERVFAIL);
  };

  const udpSockets: Socket[] = [];
  const tcpServers: Server[] = [];
  const tcpConns = new Set<TcpSocket>();
  const addresses: DnsListen[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of udpSockets.splice(0)) await new Promise<void>((r) => s.close(() => r()));
    for (const c of tcpConns) c.destroy();
    for (const s of tcpServers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  };
  try {
    for (const l of opts.listen) {
      const udp = createSocket(l.host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(l.port, l.host, () => { udp.off('error', reject); resolve(); }); });
      udpSockets.push(udp);
      const port = udp.address().port;
      udp.on('message', (msg, rinfo) => {
        void handle(msg, 'udp').then((out) => {
          // The socket may have closed while the answer was being forwarded.
          if (out) try { udp.send(out, rinfo.port, rinfo.address); } catch { /* closed: the client retries elsewhere */ }
        });
      });
      udp.on('error', (e) => log.warn({ err: e.message }, 'udp socket error'));
      const tcp = createServer((conn) => serveTcp(conn, handle, tcpConns));
      await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, l.host, () => { tcp.off('error', reject); resolve(); }); });
      tcpServers.push(tcp);
      addresses.push({ host: l.host, port });
    }
  } catch (e) {
    await closeAll();
    services.stop();
    slices.stop();
    throw e;
  }
  log.info({ addresses, domain, forwarding: upstream.length > 0 }, 'cluster dns started');

  return {
    addresses,
    synced: async () => { await Promise.all([services.synced(), slices.synced()]); },
    stop: async () => {
      services.stop();
      slices.stop();
      await closeAll();
    },
  };
}

/** RFC 7766 framing: each message is preceded by its 16-bit length; one answer per query, in order. */
function serveTcp(conn: TcpSocket, handle: (msg: Buffer, t: 'tcp') => Promise<Buffer | undefined>, conns: Set<TcpSocket>): void {
  conns.add(conn);
  let buf = Buffer.alloc(0);
  let chain = Promise.resolve();
  conn.setTimeout(10_000, () => conn.destroy());
  conn.on('close', () => conns.delete(conn));
  conn.on('error', () => conn.destroy());
  conn.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      chain = chain.then(async () => {
        const out = await handle(Buffer.from(msg), 'tcp');
        if (!out || conn.destroyed) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        conn.write(Buffer.concat([len, out]));
      });
    }
  });
}

/** `1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353` -> host and port (53 by default). */
export function parseNameserver(s: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1], port: Number(bracketed[2] ?? 53) };
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(s);
  if (v4) return { host: v4[1], port: Number(v4[2] ?? 53) };
  return { host: s, port: 53 };
}

/** Sends the raw query to each upstream in turn (2 s each); the first answer wins. */
async function forward(msg: Buffer, upstream: string[]): Promise<Buffer | undefined> {
  for (const server of upstream) {
    const { host, port } = parseNameserver(server);
    const answer = await new Promise<Buffer | undefined>((resolve) => {
      const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => { sock.close(); resolve(undefined); }, 2000);
      sock.on('message', (reply) => { clearTimeout(timer); sock.close(); resolve(reply); });
      sock.on('error', () => { clearTimeout(timer); sock.close(); resolve(undefined); });
      sock.send(msg, port, host);
    });
    if (answer) return answer;
  }
  return undefined;
}

/** Takes the listen addresses that {@link startDns} put on `lo` off again (absent ones are fine). */
export async function cleanupDns(opts: { listen: DnsListen[] } = { listen: [{ host: '10.43.0.10', port: 53 }] }): Promise<void> {
  for (const l of opts.listen) {
    if (!needsAssignment(l.host)) continue;
    await execFileP('ip', ['addr', 'del', `${l.host}/32`, 'dev', 'lo']).catch((e: { stderr?: string }) => {
      if (!/Cannot assign requested address|not found|No such/i.test(e.stderr ?? '')) throw new Error(`ip addr del ${l.host}/32 dev lo: ${e.stderr ?? ''}`.trim());
    });
  }
}
