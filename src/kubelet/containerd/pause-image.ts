// The sandbox (pause) image berth ships without downloading anything: one layer holding a
// 200-byte static x86-64 ELF written here, byte by byte, that does what Kubernetes' pause does
// for a sandbox: install handlers so SIGINT and SIGTERM end it with status 0 (a PID-1 process
// without handlers ignores them), then sleep in pause(2) forever. It never forks, so it has no
// children to reap unless the pod shares its PID namespace (then exited children stay zombies
// until the sandbox stops; upstream's pause reaps them).
//
// The image is written as an OCI archive (oci-layout, index.json, blobs) and imported into the
// node's containerd with `ctr images import`, so a node needs no registry to start its first pod.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import tar from 'tar-stream';

/** The reference berth's sandbox image is imported under (the kubelet 1.32 default pause tag). */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

const BASE = 0x400000n;
const HEADERS = 64 + 56;

/**
 * The pause program. Layout after the ELF and program headers:
 *   _start:  rt_sigaction(SIGTERM, &act, 0, 8); rt_sigaction(SIGINT, &act, 0, 8)
 *   loop:    pause(); jmp loop
 *   handler: exit_group(0)
 *   act:     struct kernel_sigaction { handler, flags = SA_RESTORER, restorer = handler, mask = 0 }
 */
function pauseCode(): Buffer {
  const sigaction = (signal: number, actOffsetFromNext: (here: number) => number, here: number): number[] => {
    // mov eax,13; mov edi,sig; lea rsi,[rip+disp32]; xor edx,edx; mov r10d,8; syscall
    const lea = here + 5 + 5 + 7; // address after the lea instruction
    const disp = actOffsetFromNext(lea);
    const d = Buffer.alloc(4);
    d.writeInt32LE(disp);
    return [0xb8, 13, 0, 0, 0, 0xbf, signal, 0, 0, 0, 0x48, 0x8d, 0x35, ...d, 0x31, 0xd2, 0x41, 0xba, 8, 0, 0, 0, 0x0f, 0x05];
  };
  const SIGACTION_LEN = 27; // 5 + 5 + 7 + 2 + 6 + 2 bytes
  const LOOP_LEN = 5 + 2 + 2; // mov eax,34; syscall; jmp loop
  const HANDLER_LEN = 5 + 2 + 2; // mov eax,231; xor edi,edi; syscall
  const start = HEADERS;
  const loop = start + 2 * SIGACTION_LEN;
  const handler = loop + LOOP_LEN;
  const act = handler + HANDLER_LEN;
  const toAct = (next: number): number => act - next;
  const bytes = [
    ...sigaction(15, toAct, start),
    ...sigaction(2, toAct, start + SIGACTION_LEN),
    0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xeb, 0x100 - LOOP_LEN,
    0xb8, 231, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05,
  ];
  const actStruct = Buffer.alloc(32);
  actStruct.writeBigUInt64LE(BASE + BigInt(handler), 0);
  // x86-64 Linux refuses to deliver a signal without SA_RESTORER (the frame needs a return
  // address); the handler never returns, so the restorer may point at it too.
  actStruct.writeBigUInt64LE(0x04000000n, 8);
  actStruct.writeBigUInt64LE(BASE + BigInt(handler), 16);
  return Buffer.concat([Buffer.from(bytes), actStruct]);
}

/** A static ELF64 executable for x86-64 Linux running pauseCode(). */
export function pauseBinary(): Buffer {
  const code = pauseCode();
  const size = BigInt(HEADERS + code.length);
  const eh = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(eh, 0); // ELFCLASS64, little endian, SysV
  eh.writeUInt16LE(2, 16); // ET_EXEC
  eh.writeUInt16LE(0x3e, 18); // EM_X86_64
  eh.writeUInt32LE(1, 20); // EV_CURRENT
  eh.writeBigUInt64LE(BASE + BigInt(HEADERS), 24); // entry
  eh.writeBigUInt64LE(64n, 32); // program headers offset
  eh.writeUInt16LE(64, 52); // header size
  eh.writeUInt16LE(56, 54); // program header entry size
  eh.writeUInt16LE(1, 56); // one program header
  eh.writeUInt16LE(64, 58); // section header entry size (none present)
  const ph = Buffer.alloc(56);
  ph.writeUInt32LE(1, 0); // PT_LOAD
  ph.writeUInt32LE(5, 4); // PF_R | PF_X
  ph.writeBigUInt64LE(0n, 8); // offset
  ph.writeBigUInt64LE(BASE, 16); // vaddr
  ph.writeBigUInt64LE(BASE, 24); // paddr
  ph.writeBigUInt64LE(size, 32); // filesz
  ph.writeBigUInt64LE(size, 40); // memsz
  ph.writeBigUInt64LE(0x1000n, 48); // align
  return Buffer.concat([eh, ph, code]);
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function layerTar(binary: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  const mtime = new Date(0);
  pack.entry({ name: 'pause', mode: 0o755, mtime, uid: 0, gid: 0 }, binary);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** The OCI archive (a tar of an OCI layout) of the pause image, tagged `ref`. */
export async function pauseImageArchive(ref = PAUSE_IMAGE): Promise<Buffer> {
  const layer = await layerTar(pauseBinary());
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux',
    config: { Entrypoint: ['/pause'], User: '65535:65535' },
    rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  }));
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length,
      annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': ref.split(':').pop() },
    }],
  }));
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  const mtime = new Date(0);
  const add = (name: string, body: Buffer): void => { pack.entry({ name, mode: 0o644, mtime }, body); };
  add('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  add('index.json', index);
  for (const b of [layer, config, manifest]) add(`blobs/sha256/${sha256(b).slice(7)}`, b);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/**
 * Imports the pause image into containerd's `k8s.io` namespace through `ctr`, unless the CRI
 * already reports it (`present`). Rejects with ctr's first error line.
 */
export async function ensurePauseImage(socket: string, present: (ref: string) => Promise<boolean>, ref = PAUSE_IMAGE): Promise<void> {
  if (await present(ref)) return;
  const dir = mkdtempSync(join(tmpdir(), 'berth-pause-'));
  try {
    const file = join(dir, 'pause.tar');
    writeFileSync(file, await pauseImageArchive(ref));
    await promisify(execFile)('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', '--no-unpack=false', file]).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`importing the pause image: ${(e.stderr || e.message).trim().split('\n')[0]}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
