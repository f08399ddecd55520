// Creates many repositories quickly for the console's tests and benchmark: each holds one tiny
// OCI manifest whose config is the empty descriptor `{}` and which has no layers
// (image-spec manifest.md "Guidance for an Empty Descriptor"). The config blob is uploaded
// once and cross-mounted into every other repository, so each repository costs two requests.
import { createHash } from 'node:crypto';
import type { BerthRegistry } from '../helpers/registry.js';

const EMPTY = Buffer.from('{}');
const EMPTY_DIGEST = `sha256:${createHash('sha256').update(EMPTY).digest('hex')}`;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** The manifest every seeded repository holds (same bytes, same digest everywhere). */
export const SEED_MANIFEST = Buffer.from(JSON.stringify({
  schemaVersion: 2,
  mediaType: MANIFEST_TYPE,
  config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: EMPTY.length },
  layers: [],
}));

function check(what: string, status: number, ok: number[], text: string): void {
  if (!ok.includes(status)) throw new Error(`${what}: HTTP ${status}: ${text.slice(0, 300)}`);
}

/**
 * Pushes SEED_MANIFEST as `<project>/<name>:1` for every name, `concurrency` at a time, as the
 * admin (Basic credentials straight on /v2/, which the registry accepts).
 */
export async function seedRepositories(reg: BerthRegistry, project: string, names: string[], concurrency = 8): Promise<void> {
  const auth = { username: 'admin', password: reg.adminPassword };
  const [first, ...rest] = names;
  if (!first) return;
  const firstRepo = `${project}/${first}`;
  const start = await reg.request('POST', `/v2/${firstRepo}/blobs/uploads/`, { auth });
  check('start upload', start.status, [202], start.text);
  const loc = new URL(String(start.headers.location), reg.url);
  loc.searchParams.set('digest', EMPTY_DIGEST);
  const put = await reg.request('PUT', loc.pathname + loc.search, { auth, body: EMPTY, headers: { 'content-type': 'application/octet-stream' } });
  check('upload config', put.status, [201], put.text);

  const pushManifest = async (repo: string) => {
    const r = await reg.request('PUT', `/v2/${repo}/manifests/1`, { auth, body: SEED_MANIFEST, headers: { 'content-type': MANIFEST_TYPE } });
    check(`push ${repo}`, r.status, [201], r.text);
  };
  await pushManifest(firstRepo);
  let next = 0;
  const worker = async () => {
    while (next < rest.length) {
      const repo = `${project}/${rest[next++]}`;
      const m = await reg.request('POST', `/v2/${repo}/blobs/uploads/?mount=${EMPTY_DIGEST}&from=${encodeURIComponent(firstRepo)}`, { auth });
      check(`mount config into ${repo}`, m.status, [201], m.text);
      await pushManifest(repo);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
