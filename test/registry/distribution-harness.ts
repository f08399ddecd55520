// In-process registry for the distribution API tests: createRegistry() on a mkdtemp dir, plain
// HTTP on an ephemeral loopback port, Harbor's module off (allowAll unless a test passes its own
// access controller), plus small fetch helpers that push blobs and images the way clients do.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessController, RegistryEvents } from '../../src/registry/access.js';
import { createRegistry, type Registry, type RegistryOptions } from '../../src/registry/index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

/** A registry under test with its base URL and temp dir. */
export interface TestRegistry {
  reg: Registry;
  url: string;
  dir: string;
  close(): Promise<void>;
}

/** Starts an in-process registry; close() stops it and removes its dir. */
export async function startTestRegistry(opts: Partial<RegistryOptions> & { access?: AccessController; events?: RegistryEvents } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-test-'));
  const reg = await createRegistry({ dataDir: dir, harbor: 'none', host: '127.0.0.1', port: 0, ...opts });
  return {
    reg, url: reg.url, dir,
    async close() {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `sha256:<hex>` of bytes. */
export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Deterministic pseudo-random bytes (no two seeds alike). */
export function bytesOf(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Absolute URL for a Location header that may be relative. */
export function abs(base: string, location: string | null): string {
  assert.ok(location, 'Location header present');
  return new URL(location, base).toString();
}

/** Pushes a blob containerd's way (POST, then PUT with the whole body); returns its digest. */
export async function pushBlob(base: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202, `POST upload: ${await post.text()}`);
  const loc = abs(base, post.headers.get('location'));
  const put = await fetch(`${loc}${loc.includes('?') ? '&' : '?'}digest=${digest}`, {
    method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 201, `PUT upload: ${await put.text()}`);
  assert.equal(put.headers.get('docker-content-digest'), digest);
  return digest;
}

/** An image made of a config and layers, with its manifest bytes. */
export interface TestImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  digest: string;
  mediaType: string;
}

/** Builds an OCI (or Docker schema2) image with `layers` layers of `size` bytes. */
export function makeImage(seed: string, opts: { layers?: number; size?: number; docker?: boolean; subject?: { digest: string; size: number; mediaType: string }; artifactType?: string; annotations?: Record<string, string> } = {}): TestImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }));
  const layers = Array.from({ length: opts.layers ?? 1 }, (_, i) => bytesOf(`${seed}-layer-${i}`, opts.size ?? 1024));
  const mediaType = opts.docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
    config: { mediaType: opts.docker ? 'application/vnd.docker.container.image.v1+json' : OCI_CONFIG, digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: opts.docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : OCI_LAYER, digest: sha256(l), size: l.length })),
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  const manifest = Buffer.from(JSON.stringify(doc));
  return { config, layers, manifest, digest: sha256(manifest), mediaType };
}

/** PUTs manifest bytes at `ref`; returns the response. */
export function putManifest(base: string, repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<Response> {
  return fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
}

/** Pushes an image's blobs and manifest (by tag `ref`); asserts 201. */
export async function pushImage(base: string, repo: string, ref: string, img: TestImage): Promise<void> {
  await pushBlob(base, repo, img.config);
  for (const l of img.layers) await pushBlob(base, repo, l);
  const r = await putManifest(base, repo, ref, img.manifest, img.mediaType);
  assert.equal(r.status, 201, `PUT manifest: ${await r.text()}`);
  assert.equal(r.headers.get('docker-content-digest'), img.digest);
}

/** The first error code of a spec error body. */
export async function errorCode(r: Response): Promise<string | undefined> {
  const text = await r.text();
  try {
    return (JSON.parse(text) as { errors?: Array<{ code: string }> }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}
