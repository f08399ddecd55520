// Runs the BlobDriver contract against every driver.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDriverContract } from './driver-contract.js';
import { FilesystemDriver } from './filesystem.js';
import { MemoryDriver } from './memory.js';

runDriverContract('MemoryDriver', async () => ({ driver: new MemoryDriver(), dispose: async () => {} }));
runDriverContract('FilesystemDriver', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fsdriver-'));
  return { driver: new FilesystemDriver(dir), dispose: () => rm(dir, { recursive: true, force: true }) };
});
