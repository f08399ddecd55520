// Serves the registry's built web console (web/dist) at `/`:
//
//   /assets/<name>-<hash>.<ext>   hashed bundles, cached for a year (immutable)
//   /, /harbor/..., /account/...  the app's routes: index.html (no-cache), the app routes itself
//   anything else                 declined (false): the caller answers 404
//
// Every answer carries a Content-Security-Policy that allows only this origin (no inline
// script, no external origin, no framing), so a string that slips into the DOM as markup still
// cannot run or load anything. The API (/api/v2.0) and the session endpoints (/c/login,
// /c/log_out) belong to Harbor's module, which runs before this handler.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of createConsoleHandler. */
export interface ConsoleOptions {
  /** The built assets directory (holds index.html and assets/). */
  assetsDir: string;
}

/** The policy every console response carries: same origin only, no inline script, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The app's client-side routes: the console answers them with index.html. */
const APP_ROUTE = /^\/(?:|harbor(?:\/.*)?|account(?:\/.*)?)$/;
/** Asset names as the web build writes them (no path separators, no dot-dot). */
const ASSET = /^\/assets\/([A-Za-z0-9_-][A-Za-z0-9._-]*)$/;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/**
 * `web/dist` under the package root: the same path from src/registry/console (tsx) and from
 * dist/registry/console (the built package), both three levels below the root.
 */
export function defaultAssetsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'dist');
}

interface Loaded {
  index?: Buffer;
  assets: Map<string, Buffer>;
}

function load(dir: string): Loaded {
  const indexPath = join(dir, 'index.html');
  const assets = new Map<string, Buffer>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      if (ASSET.test(`/assets/${name}`)) assets.set(name, readFileSync(join(assetDir, name)));
    }
  }
  return { index: existsSync(indexPath) ? readFileSync(indexPath) : undefined, assets };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer, cache: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Builds the request handler for the console. It resolves true when it answered, false for a
 * path that is not the console's (the registry then answers 404). Assets are read once, at the
 * first request after they exist, so a `npm run build` before the start is what is served.
 * Called by createRegistry after Harbor's module declines a path.
 */
export function createConsoleHandler(opts: ConsoleOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  let loaded: Loaded | undefined;
  const files = (): Loaded => {
    if (!loaded?.index) loaded = load(opts.assetsDir);
    return loaded;
  };
  return async (req, res) => {
    const method = req.method ?? 'GET';
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const asset = ASSET.exec(path);
    if (!asset && !APP_ROUTE.test(path)) return false;
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return true;
    }
    const f = files();
    if (asset) {
      const body = f.assets.get(asset[1]);
      if (!body) {
        send(req, res, 404, 'text/plain; charset=utf-8', Buffer.from('not found\n'), 'no-store');
        return true;
      }
      const type = CONTENT_TYPES[extname(asset[1])] ?? 'application/octet-stream';
      send(req, res, 200, type, body, 'public, max-age=31536000, immutable');
      return true;
    }
    if (!f.index) {
      send(req, res, 503, 'text/plain; charset=utf-8', Buffer.from('The web console is not built: run `npm run build` in the berth package.\n'), 'no-store');
      return true;
    }
    send(req, res, 200, CONTENT_TYPES['.html'], f.index, 'no-cache');
    return true;
  };
}
