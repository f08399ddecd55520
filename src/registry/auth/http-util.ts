// Small HTTP helpers shared by the token service, the access controller and the REST API.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Basic credentials from an Authorization header, or undefined. */
export function parseBasic(header: string | undefined): { name: string; password: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  let text: string;
  try {
    text = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The token of a `Bearer` Authorization header, or undefined. */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header || !/^bearer /i.test(header)) return undefined;
  const t = header.slice(7).trim();
  return t === '' ? undefined : t;
}

/** The remote address, for throttling (never logged with credentials). */
export function clientOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}

/** Thrown by readBody when the body exceeds its limit. */
export class BodyTooLarge extends Error {}

/** Reads a small request body (forms, JSON) up to `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new BodyTooLarge('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Sends a JSON body with its length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The request's cookies. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return out;
}
