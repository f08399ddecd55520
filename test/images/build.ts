// Builds berth's test images offline from this machine's Debian packages, as OCI layouts:
//
//   busybox:1        busybox-static's /bin/busybox plus a symlink per applet; Cmd ["sh"]
//   nginx:1          nginx-light's /usr/sbin/nginx plus the shared libraries `ldd` reports, a
//                    minimal nginx.conf serving /usr/share/nginx/html on :80, www-data in passwd,
//                    and busybox (sh, echo, ...) in /usr/bin with /bin -> usr/bin
//   pause:3.10       a static C pause process (gcc -static against glibc's libc.a) that sleeps
//                    until SIGINT or SIGTERM and reaps adopted children, like Kubernetes' pause.
//                    When gcc or libc.a is missing it falls back to busybox running
//                    `sleep 2147483647` (what containerd-on-these-hosts.md found enough for a
//                    sandbox, since StopPodSandbox sends SIGKILL); the image then has the busybox
//                    layer and a different digest.
//   bench-5m:1       one layer holding 5 MiB of seeded random bytes
//   bench-10x20m:1   ten layers of 20 MiB of seeded random bytes each
//
// Run: node --import tsx test/images/build.ts [OUTDIR] [NAME...]
// Idempotent and cached by content: an image is rebuilt only when what it is made of (host file
// bytes, seeds, config) changes. Nothing is downloaded.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLayout, readLayout, type BuiltImage, type ImageSpec, type LayerEntry } from './layout.js';

export type { BuiltImage } from './layout.js';
export { pushLayout, type PushOptions } from './push.js';

/** Bumped whenever the builder's output format changes, so cached layouts are rebuilt. */
const BUILDER_VERSION = '1';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Names of every image this builder makes. */
export const IMAGE_NAMES = ['busybox', 'nginx', 'pause', 'bench-5m', 'bench-10x20m'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Where built images live: `$BERTH_TEST_IMAGES`, else `<repo>/.tmp/test-images` (ignored by git,
 * kept between runs so the content cache pays off).
 */
export function defaultImagesDir(): string {
  return process.env.BERTH_TEST_IMAGES || join(REPO_ROOT, '.tmp', 'test-images');
}

/**
 * Collects a host path as layer entries, preserving every symlink met on the way (the merged-/usr
 * links such as /lib -> usr/lib, and soname links such as libc.so.6), so the path resolves inside
 * the image exactly as it does on the host.
 */
export function hostPathEntries(path: string, out: Map<string, LayerEntry> = new Map(), depth = 0): Map<string, LayerEntry> {
  if (depth > 40) throw new Error(`too many symlinks resolving ${path}`);
  const parts = posix.normalize(path).split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = lstatSync(cur);
    if (st.isSymbolicLink()) {
      const target = readlinkSync(cur);
      out.set(cur, { type: 'symlink', path: cur, target });
      const rest = parts.slice(i + 1).join('/');
      const resolved = posix.resolve(posix.dirname(cur), target);
      return hostPathEntries(rest ? `${resolved}/${rest}` : resolved, out, depth + 1);
    }
    if (st.isDirectory()) {
      if (!out.has(cur)) out.set(cur, { type: 'directory', path: cur, mode: st.mode & 0o7777 });
    } else if (st.isFile()) {
      if (i !== parts.length - 1) throw new Error(`${cur} is a file in the middle of ${path}`);
      out.set(cur, { type: 'file', path: cur, mode: st.mode & 0o7777, content: readFileSync(cur) });
    } else {
      throw new Error(`${cur}: unsupported file type`);
    }
  }
  return out;
}

/** The shared libraries `ldd` reports for a binary, including the program interpreter. */
export function lddLibraries(binary: string): string[] {
  const text = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

function file(path: string, content: string, mode = 0o644): LayerEntry {
  return { type: 'file', path, mode, content: Buffer.from(content) };
}

function dir(path: string, mode = 0o755): LayerEntry {
  return { type: 'directory', path, mode };
}

/** The busybox root filesystem: the static binary and one symlink per applet in /bin. */
function busyboxLayer(): LayerEntry[] {
  const bin = '/bin/busybox';
  if (!existsSync(bin)) throw new Error('busybox-static is not installed (/bin/busybox missing)');
  const applets = execFileSync(bin, ['--list'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox');
  return [
    { type: 'file', path: 'bin/busybox', mode: 0o755, content: readFileSync(bin) },
    ...applets.map((a): LayerEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'),
    file('etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
    dir('root', 0o700),
    dir('tmp', 0o1777),
    dir('proc'), dir('sys'), dir('dev'), dir('etc'), dir('var'),
  ];
}

const NGINX_CONF = `user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /dev/stderr warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  server {
    listen 80 default_server;
    root /usr/share/nginx/html;
    location / { index index.html; }
  }
}
`;

/** The text the nginx image serves at `/`; tests compare against it. */
export const NGINX_INDEX = '<!DOCTYPE html>\n<html><body><h1>berth test nginx</h1></body></html>\n';

function nginxLayer(): LayerEntry[] {
  const bin = '/usr/sbin/nginx';
  if (!existsSync(bin)) throw new Error('nginx-light is not installed (/usr/sbin/nginx missing)');
  const entries = new Map<string, LayerEntry>();
  hostPathEntries(bin, entries);
  for (const lib of lddLibraries(bin)) hostPathEntries(lib, entries);
  hostPathEntries('/etc/nginx/mime.types', entries);
  // busybox for `sh`, `echo` and friends (issue 4's walkthrough runs `sh -c` in this image), laid
  // out merged-/usr style as Debian's own layout is: /bin -> usr/bin.
  const busybox = '/bin/busybox';
  if (!existsSync(busybox)) throw new Error('busybox-static is not installed (/bin/busybox missing)');
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').map((a) => a.trim()).filter((a) => a && a !== 'busybox');
  return [
    ...entries.values(),
    { type: 'file', path: 'usr/bin/busybox', mode: 0o755, content: readFileSync(busybox) },
    ...applets.map((a): LayerEntry => ({ type: 'symlink', path: `usr/bin/${a}`, target: 'busybox' })),
    ...(entries.has('bin') ? [] : [{ type: 'symlink', path: 'bin', target: 'usr/bin' } as LayerEntry]),
    file('etc/nginx/nginx.conf', NGINX_CONF),
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/false\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n'),
    file('etc/group', 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n'),
    file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n'),
    file('usr/share/nginx/html/index.html', NGINX_INDEX),
    dir('var/lib/nginx'), dir('var/log/nginx'), dir('run'), dir('tmp', 0o1777),
    dir('proc'), dir('sys'), dir('dev'),
  ];
}

const PAUSE_C = `/* berth's pause: holds a sandbox's namespaces; exits 0 on SIGINT/SIGTERM, reaps children. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction s = {0}, r = {0};
  s.sa_handler = stop;
  r.sa_handler = reap;
  r.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGINT, &s, 0) || sigaction(SIGTERM, &s, 0) || sigaction(SIGCHLD, &r, 0)) return 1;
  for (;;) pause();
}
`;

/** Compiles the static pause binary, or returns undefined when gcc -static cannot. */
function compilePause(): Buffer | undefined {
  const work = mkdtempSync(join(tmpdir(), 'berth-pause-'));
  try {
    writeFileSync(join(work, 'pause.c'), PAUSE_C);
    const r = spawnSync('gcc', ['-static', '-Os', '-s', '-Wl,--build-id=none', '-o', join(work, 'pause'), join(work, 'pause.c')], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    return readFileSync(join(work, 'pause'));
  } catch {
    return undefined;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** How the pause image was made on this machine. */
export type PauseKind = 'static-c' | 'busybox-sleep';

function pauseSpec(): { spec: ImageSpec; kind: PauseKind } {
  const bin = compilePause();
  if (bin) {
    return {
      kind: 'static-c',
      spec: {
        name: 'pause', tag: '3.10',
        layers: [[{ type: 'file', path: 'pause', mode: 0o755, content: bin }]],
        config: { Entrypoint: ['/pause'], User: '65535:65535', Env: [PATH_ENV] },
      },
    };
  }
  return {
    kind: 'busybox-sleep',
    spec: { name: 'pause', tag: '3.10', layers: [busyboxLayer()], config: { Entrypoint: ['/bin/sleep', '2147483647'], Env: [PATH_ENV] } },
  };
}

const MiB = 1 << 20;

function specFor(name: ImageName): ImageSpec {
  switch (name) {
    case 'busybox':
      return { name, tag: '1', layers: [busyboxLayer()], config: { Env: [PATH_ENV], Cmd: ['sh'] } };
    case 'nginx':
      return {
        name, tag: '1', layers: [nginxLayer()],
        config: { Env: [PATH_ENV], Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGQUIT' },
      };
    case 'pause':
      return pauseSpec().spec;
    case 'bench-5m':
      return {
        name, tag: '1', gzipLevel: 1,
        layers: [[{ type: 'file', path: 'data/random-0', mode: 0o644, content: { seed: 'berth-bench-5m/0', size: 5 * MiB } }]],
        config: { Cmd: ['/data/random-0'] },
      };
    case 'bench-10x20m':
      return {
        name, tag: '1', gzipLevel: 1,
        layers: Array.from({ length: 10 }, (_, i): LayerEntry[] => [
          { type: 'file', path: `data/random-${i}`, mode: 0o644, content: { seed: `berth-bench-10x20m/${i}`, size: 20 * MiB } },
        ]),
        config: { Cmd: ['/data/random-0'] },
      };
  }
}

/** Built images by name. */
export type TestImages = Partial<Record<ImageName, BuiltImage>>;

/**
 * Builds (or reuses from the cache) the named images under `outDir/<name>`, and writes
 * `outDir/images.json` describing every image present. Safe to call from several tests: each
 * image is renamed into place whole.
 */
export async function buildTestImages(outDir: string = defaultImagesDir(), names: readonly ImageName[] = IMAGE_NAMES): Promise<TestImages> {
  const built: TestImages = {};
  for (const name of names) built[name] = await buildLayout(join(outDir, name), specFor(name), BUILDER_VERSION);
  const present = existsSync(outDir) ? readdirSync(outDir).filter((n) => (IMAGE_NAMES as readonly string[]).includes(n) && statSync(join(outDir, n)).isDirectory()) : [];
  const summary: Record<string, unknown> = {};
  for (const n of present.sort()) {
    if (!existsSync(join(outDir, n, '.build-key'))) continue;
    const img = built[n as ImageName] ?? readLayout(join(outDir, n), n);
    summary[n] = { tag: img.tag, manifest: img.manifest.digest, totalSize: img.totalSize, layers: img.layers.length };
  }
  writeFileSync(join(outDir, 'images.json'), JSON.stringify(summary, null, 2) + '\n');
  return built;
}

async function main(): Promise<void> {
  const [outArg, ...rest] = process.argv.slice(2);
  const out = resolve(outArg ?? defaultImagesDir());
  const unknown = rest.filter((n) => !(IMAGE_NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown image ${unknown.join(', ')}; known: ${IMAGE_NAMES.join(', ')}`);
  const names = rest.length ? (rest as ImageName[]) : IMAGE_NAMES;
  const built = await buildTestImages(out, names);
  for (const img of Object.values(built)) {
    process.stdout.write(`${img.name}:${img.tag} ${img.manifest.digest} ${img.layers.length} layer(s) ${img.totalSize} bytes ${img.dir}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`build: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
