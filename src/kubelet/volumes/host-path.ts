// hostPath volumes: the type checks upstream runs before use (k/k pkg/volume/hostpath/host_path.go
// checkType / checkTypeInternal), creating the path for DirectoryOrCreate (0755) and
// FileOrCreate (0644). An unset type checks nothing.
import { mkdir, open, stat } from 'node:fs/promises';

/** A failed hostPath check; the message is upstream's. */
export class HostPathError extends Error {
  override readonly name = 'HostPathError';
}

async function statOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try { return await stat(path); } catch { return undefined; }
}

/** Checks (and for the *OrCreate types, creates) a hostPath as upstream does. */
export async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  if (path.split('/').includes('..')) throw new HostPathError(`invalid HostPath \`${path}\`: must not contain '..'`);
  const t = type ?? '';
  if (t === '') return;
  const st = await statOrUndefined(path);
  switch (t) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st && t === 'DirectoryOrCreate') {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      if (!st?.isDirectory()) throw new HostPathError(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st && t === 'FileOrCreate') {
        const fh = await open(path, 'a', 0o644);
        await fh.close();
        return;
      }
      if (!st?.isFile()) throw new HostPathError(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new HostPathError(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new HostPathError(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new HostPathError(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new HostPathError(`${t} is an invalid volume type`);
  }
}
