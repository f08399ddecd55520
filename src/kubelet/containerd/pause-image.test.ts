import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { PAUSE_IMAGE, pauseBinary, pauseImageArchive } from './pause-image.js';

async function untar(buf: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => { ex.on('finish', () => resolve()); ex.on('error', reject); });
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => { out.set(h.name, Buffer.concat(chunks)); next(); });
  });
  ex.end(buf);
  await done;
  return out;
}

describe('pause image', { skip: process.arch !== 'x64' ? 'the pause binary is x86-64 only' : false }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`the pause binary sleeps until ${signal}, then exits 0 (Kubernetes pause's contract)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pause-test-'));
      try {
        const bin = join(dir, 'pause');
        writeFileSync(bin, pauseBinary(), { mode: 0o755 });
        const child = spawn(bin, [], { stdio: 'ignore' });
        const exited = new Promise<{ code: number | null; sig: string | null }>((r) => child.on('exit', (code, sig) => r({ code, sig })));
        await new Promise((r) => child.on('spawn', r));
        // The handlers are installed before pause(); wait until the process sleeps in it.
        const deadline = Date.now() + 5000;
        while (!/^State:\s+S/m.test(readFileSync(`/proc/${child.pid}/status`, 'utf8'))) {
          assert.ok(Date.now() < deadline, 'pause never went to sleep');
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.equal(child.exitCode, null, 'still running while no signal came');
        child.kill(signal);
        assert.deepEqual(await exited, { code: 0, sig: null });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('the archive is an OCI layout whose index names the ref and whose blobs match their digests', async () => {
    const files = await untar(await pauseImageArchive());
    assert.equal(files.get('oci-layout')?.toString(), '{"imageLayoutVersion":"1.0.0"}');
    for (const [name, body] of files) {
      if (!name.startsWith('blobs/sha256/')) continue;
      assert.equal(createHash('sha256').update(body).digest('hex'), name.slice('blobs/sha256/'.length));
    }
    const index = JSON.parse(String(files.get('index.json')));
    assert.equal(index.manifests[0].annotations['io.containerd.image.name'], PAUSE_IMAGE);
    const manifest = JSON.parse(String(files.get(`blobs/sha256/${index.manifests[0].digest.slice(7)}`)));
    const config = JSON.parse(String(files.get(`blobs/sha256/${manifest.config.digest.slice(7)}`)));
    assert.deepEqual(config.config.Entrypoint, ['/pause']);
    const layer = await untar(files.get(`blobs/sha256/${manifest.layers[0].digest.slice(7)}`)!);
    assert.deepEqual(layer.get('pause'), pauseBinary());
  });
});
