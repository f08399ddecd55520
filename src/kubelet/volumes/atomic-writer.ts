// Writes a volume's files so that a reader never sees a half-updated set, as upstream's
// AtomicWriter does (k/k pkg/volume/util/atomic_writer.go):
//
//   <dir>/..2006_01_02_15_04_05.<random>/   the files of one version (mode 0755 dir)
//   <dir>/..data -> ..2006_..._<random>      switched by renaming ..data_tmp over it
//   <dir>/<first path element> -> ..data/<first path element>   the user-visible links
//
// A payload with unchanged contents writes nothing; a changed one gets a new timestamped dir, the ..data link
// swings to it in one rename, then stale user-visible links and the old dir are removed.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** One file of a volume: its bytes and mode. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** Name of the link to the current data dir. */
export const DATA_DIR_NAME = '..data';
const NEW_DATA_DIR_NAME = '..data_tmp';

/** An invalid payload path; the message is upstream's validatePath text. */
export class PayloadPathError extends Error {
  override readonly name = 'PayloadPathError';
}

/** Checks a payload path as validatePath does (relative, no `..` element, no leading `..`, length limits). */
export function validatePayloadPath(p: string): void {
  if (p.length > 4096) throw new PayloadPathError('invalid path: must be less than or equal to 4096 characters');
  if (p.startsWith('/')) throw new PayloadPathError(`invalid path: must not be absolute path: ${p}`);
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new PayloadPathError(`invalid path: must not contain '..': ${p}`);
    if (item.length > 255) throw new PayloadPathError('invalid path: must be less than or equal to 255 characters');
  }
  if (p.startsWith('..')) throw new PayloadPathError(`invalid path: must not start with '..': ${p}`);
}

function clean(p: string): string {
  return normalize(p).replace(/\/+$/, '');
}

/** The UTC time formatted as Go's `..2006_01_02_15_04_05.`. */
function tsPrefix(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.`;
}

async function listFiles(root: string, base = root): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try { entries = await readdir(root, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const full = join(root, e.name);
    if (e.isDirectory()) out.push(...await listFiles(full, base));
    else out.push(relative(base, full));
  }
  return out;
}

/**
 * Makes `dir` hold exactly `payload` (path -> file). Returns whether anything was written.
 * Throws PayloadPathError for a bad path, and the fs error otherwise.
 */
export async function writeAtomically(dir: string, payload: Map<string, FileProjection>, now: Date = new Date()): Promise<boolean> {
  const cleanPayload = new Map<string, FileProjection>();
  for (const [p, f] of payload) {
    validatePayloadPath(p);
    cleanPayload.set(clean(p), f);
  }
  await mkdir(dir, { recursive: true });

  const dataDirPath = join(dir, DATA_DIR_NAME);
  const oldTsDir = await readlink(dataDirPath).catch(() => '');
  const oldTsPath = oldTsDir ? join(dir, oldTsDir) : '';

  const oldPaths = oldTsPath ? await listFiles(oldTsPath) : [];
  const pathsToRemove = new Set<string>();
  for (const p of oldPaths) {
    if (cleanPayload.has(p)) continue;
    pathsToRemove.add(p);
    // Parent directories that no payload file still lives under go too.
    for (let d = dirname(p); d !== '.'; d = dirname(d)) {
      if (![...cleanPayload.keys()].some((k) => k.startsWith(d + sep))) pathsToRemove.add(d);
    }
  }

  let changed = oldTsPath === '';
  if (!changed) {
    for (const [p, f] of cleanPayload) {
      try {
        // Content only, as upstream's shouldWriteFile: modes cannot change (volume specs are
        // immutable) and fsGroup ownership adjusts them after writing.
        if (!(await readFile(join(oldTsPath, p))).equals(f.data)) { changed = true; break; }
      } catch { changed = true; break; }
    }
  }
  if (!changed && pathsToRemove.size === 0) {
    await createUserVisibleFiles(dir, cleanPayload);
    return false;
  }

  const tsDir = await newTimestampDir(dir, now);
  for (const [p, f] of cleanPayload) {
    const full = join(tsDir, p);
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, f.data, { mode: f.mode });
    await chmod(full, f.mode);
  }
  const tmpLink = join(dir, NEW_DATA_DIR_NAME);
  await rm(tmpLink, { force: true });
  await symlink(relative(dir, tsDir), tmpLink);
  await rename(tmpLink, dataDirPath);
  await createUserVisibleFiles(dir, cleanPayload);
  for (const p of pathsToRemove) {
    if (p.includes(sep)) continue;
    if (![...cleanPayload.keys()].some((k) => k === p || k.startsWith(p + sep))) await unlink(join(dir, p)).catch(() => undefined);
  }
  if (oldTsPath) await rm(oldTsPath, { recursive: true, force: true });
  return true;
}

/**
 * Creates `..<UTC time>.<random digits>` as Go's os.MkdirTemp does with that prefix (its random
 * part is a decimal uint32), mode 0755 whatever the umask.
 */
async function newTimestampDir(dir: string, now: Date): Promise<string> {
  for (;;) {
    const p = join(dir, tsPrefix(now) + String(randomBytes(4).readUInt32BE(0)));
    try {
      await mkdir(p, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    await chmod(p, 0o755);
    return p;
  }
}

/** Links each payload path's first element to `..data/<element>` unless the link exists. */
async function createUserVisibleFiles(dir: string, payload: Map<string, FileProjection>): Promise<void> {
  const first = new Set([...payload.keys()].map((p) => p.split(sep)[0]));
  for (const name of first) {
    const visible = join(dir, name);
    try {
      await readlink(visible);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') await symlink(join(DATA_DIR_NAME, name), visible);
      else throw e;
    }
  }
}
