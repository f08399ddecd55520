// Deterministic OCI image layouts: tar layers with sorted entries, fixed mtimes and owners, gzip
// through node:zlib, written as an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/`).
//
// Layout of one image directory (OCI image-spec image-layout.md):
//   <dir>/oci-layout            {"imageLayoutVersion":"1.0.0"}
//   <dir>/index.json            one manifest, annotated org.opencontainers.image.ref.name = tag
//   <dir>/blobs/sha256/<hex>    config, manifest and layer blobs
//   <dir>/.build-key            sha256 of everything the image was built from (the cache key)
//
// The same entries always give the same bytes, so digests are stable across runs and machines
// with the same Debian packages: entries are sorted by path, every mtime is FIXED_MTIME, owners
// are 0:0 with empty user and group names, and gzip's header carries no time or name.
import { createHash, createCipheriv, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';

/** Every entry's mtime and the image config's `created`: 2000-01-01T00:00:00Z. */
export const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Seeded random bytes: AES-256-CTR over zeros, keyed by sha256(seed). Incompressible and stable. */
export interface SeededRandom {
  seed: string;
  size: number;
}

/** One entry of a layer tar. `content` is bytes, or seeded random bytes streamed on demand. */
export type LayerEntry =
  | { type: 'directory'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; content: Buffer | SeededRandom }
  | { type: 'symlink'; path: string; target: string };

/** What an image is made of; `layers` are applied in order. */
export interface ImageSpec {
  name: string;
  tag: string;
  layers: LayerEntry[][];
  config: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, object>; StopSignal?: string; User?: string };
  /** gzip level for the layers (random data gains nothing from effort: level 1 keeps builds fast). */
  gzipLevel?: number;
}

/** A descriptor as OCI writes them. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A built image layout and its digests. */
export interface BuiltImage {
  name: string;
  tag: string;
  /** The OCI layout directory. */
  dir: string;
  /** `oci:DIR:tag`, the reference skopeo and podman take. */
  ociRef: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  /** Sum of the compressed layer sizes plus config and manifest: the bytes a push moves. */
  totalSize: number;
}

/** Readable stream of `r.size` seeded random bytes. */
export function seededRandomStream(r: SeededRandom): Readable {
  const key = createHash('sha256').update(r.seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const chunk = Buffer.alloc(1 << 20);
  let left = r.size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(cipher.update(n === chunk.length ? chunk : chunk.subarray(0, n)));
    },
  });
}

function isSeeded(c: Buffer | SeededRandom): c is SeededRandom {
  return !Buffer.isBuffer(c);
}

/** Adds the missing parent directories and sorts by path, so a layer never depends on input order. */
export function normalizeEntries(entries: LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '').replace(/\/+$/, '');
    if (!path || path.split('/').some((p) => p === '..' || p === '.')) throw new Error(`bad layer path ${JSON.stringify(e.path)}`);
    byPath.set(path, { ...e, path });
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { type: 'directory', path: dir, mode: 0o755 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A stable description of the entries (content by hash) for the build cache key. */
export function describeEntries(entries: LayerEntry[]): unknown[] {
  return normalizeEntries(entries).map((e) => {
    if (e.type !== 'file') return e;
    const c = e.content;
    return { ...e, content: isSeeded(c) ? { seed: c.seed, size: c.size } : createHash('sha256').update(c).digest('hex') };
  });
}

class Tap extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

function addEntry(pack: tar.Pack, e: LayerEntry): Promise<void> {
  const base = { name: e.path, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (e.type === 'directory') {
      pack.entry({ ...base, type: 'directory', mode: e.mode }, done);
    } else if (e.type === 'symlink') {
      pack.entry({ ...base, type: 'symlink', linkname: e.target, mode: 0o777 }, done);
    } else if (!isSeeded(e.content)) {
      pack.entry({ ...base, type: 'file', mode: e.mode, size: e.content.length }, e.content, done);
    } else {
      const sink = pack.entry({ ...base, type: 'file', mode: e.mode, size: e.content.size }, done);
      pipeline(seededRandomStream(e.content), sink).catch(reject);
    }
  });
}

/** Writes one gzip layer blob; returns its descriptor and the uncompressed digest (diff_id). */
export async function writeLayer(blobsDir: string, entries: LayerEntry[], gzipLevel = 6): Promise<{ desc: Descriptor; diffId: string }> {
  const pack = tar.pack();
  const raw = new Tap();
  const gz = new Tap();
  const tmp = join(blobsDir, `.tmp-${randomBytes(6).toString('hex')}`);
  const written = pipeline(pack, raw, createGzip({ level: gzipLevel }), gz, createWriteStream(tmp));
  try {
    for (const e of normalizeEntries(entries)) await addEntry(pack, e);
    pack.finalize();
    await written;
  } catch (err) {
    pack.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
  const hex = gz.hash.digest('hex');
  renameSync(tmp, join(blobsDir, hex));
  return { desc: { mediaType: MEDIA_TYPES.layerGzip, digest: `sha256:${hex}`, size: gz.size }, diffId: `sha256:${raw.hash.digest('hex')}` };
}

function writeBlob(blobsDir: string, mediaType: string, bytes: Buffer): Descriptor {
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(blobsDir, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/** The cache key of a spec: the builder's format version plus everything the bytes derive from. */
export function specKey(spec: ImageSpec, builderVersion: string): string {
  const desc = { builderVersion, tag: spec.tag, config: spec.config, gzipLevel: spec.gzipLevel ?? 6, layers: spec.layers.map(describeEntries) };
  return createHash('sha256').update(JSON.stringify(desc)).digest('hex');
}

/** Reads a built layout back (used for cache hits and by tests). */
export function readLayout(dir: string, name: string): BuiltImage {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const m = index.manifests[0];
  const tag = m.annotations['org.opencontainers.image.ref.name'];
  const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', m.digest.slice(7)), 'utf8'));
  const layers: Descriptor[] = manifest.layers.map((l: Descriptor) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
  const config: Descriptor = { mediaType: manifest.config.mediaType, digest: manifest.config.digest, size: manifest.config.size };
  const totalSize = layers.reduce((s, l) => s + l.size, 0) + config.size + m.size;
  return { name, tag, dir, ociRef: `oci:${dir}:${tag}`, manifest: { mediaType: m.mediaType, digest: m.digest, size: m.size }, config, layers, totalSize };
}

/**
 * Builds `spec` as an OCI layout at `dir`, or keeps the existing one when its `.build-key`
 * matches. Builds into a sibling temp dir and renames it into place, so a crash never leaves a
 * half-written layout behind a valid key.
 */
export async function buildLayout(dir: string, spec: ImageSpec, builderVersion: string): Promise<BuiltImage> {
  const key = specKey(spec, builderVersion);
  const keyFile = join(dir, '.build-key');
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key && existsSync(join(dir, 'index.json'))) return readLayout(dir, spec.name);

  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const blobs = join(tmp, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  try {
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    for (const entries of spec.layers) {
      const { desc, diffId } = await writeLayer(blobs, entries, spec.gzipLevel);
      layers.push(desc);
      diffIds.push(diffId);
    }
    const configJson = {
      created: FIXED_MTIME.toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: spec.config,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: FIXED_MTIME.toISOString(), created_by: `berth test/images/build.ts ${spec.name}` })),
    };
    const config = writeBlob(blobs, MEDIA_TYPES.config, Buffer.from(JSON.stringify(configJson)));
    const manifestJson = { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers };
    const manifest = writeBlob(blobs, MEDIA_TYPES.manifest, Buffer.from(JSON.stringify(manifestJson)));
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': spec.tag } }],
    };
    writeFileSync(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(tmp, 'index.json'), JSON.stringify(index));
    writeFileSync(join(tmp, '.build-key'), key);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return readLayout(dir, spec.name);
}
