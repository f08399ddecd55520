// fsGroup ownership of a volume's files, as upstream's SetVolumeOwnership (k/k
// pkg/volume/volume_linux.go changeFilePermission): every entry gets group fsGroup; files gain
// group read/write (read only for read-only volumes: secret, configMap, downwardAPI, projected);
// directories also gain setgid and user/group execute. Symlinks keep their modes.
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

/** Applies fsGroup to `root` and everything under it (without following symlinks). */
export async function setVolumeOwnership(root: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p);
    await lchown(p, -1, fsGroup);
    if (st.isSymbolicLink()) return;
    let mask = readOnly ? RO_MASK : RW_MASK;
    if (st.isDirectory()) mask |= SETGID | EXEC_MASK;
    await chmod(p, (st.mode & 0o7777) | mask);
    if (st.isDirectory()) for (const name of await readdir(p)) await visit(join(p, name));
  };
  await visit(root);
}
