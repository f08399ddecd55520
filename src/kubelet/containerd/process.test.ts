// ContainerdProcess failure paths without a real containerd (the real one, including a kill -9
// and its restart, is in test/kubelet/cri-containerd.test.ts): a daemon that dies before its CRI
// answers, and a binary that does not exist, each give one line saying what happened.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContainerdProcess, containerdPaths } from './index.js';

test('start() fails with the exit and the log tail when the daemon dies before its CRI is ready', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cd-proc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases = [
    {
      name: 'daemon exits with an error',
      script: '#!/bin/sh\necho "containerd: failed to load config: bad" >&2\nexit 3\n',
      want: /^containerd exited \(code 3\) before its CRI was ready; see .*containerd\.log: containerd: failed to load config: bad$/,
    },
    {
      name: 'daemon killed by a signal',
      script: '#!/bin/sh\nkill -9 $$\n',
      want: /^containerd exited \(SIGKILL\) before its CRI was ready/,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const bin = join(dir, `fake-containerd-${i}`);
    writeFileSync(bin, c.script);
    chmodSync(bin, 0o755);
    const paths = containerdPaths(join(dir, `data-${i}`));
    mkdirSync(paths.dir, { recursive: true });
    const p = new ContainerdProcess({ paths, binary: bin, readyTimeoutMs: 10_000 });
    await assert.rejects(p.start(), (e: Error) => c.want.test(e.message), c.name);
    assert.equal(p.restarts, 0, `${c.name}: a failed start is not restarted`);
    await p.stop();
    assert.equal(p.pid, undefined, c.name);
    assert.equal(existsSync(join(paths.dir, 'containerd.pid')), false, `${c.name}: pid file removed`);
  }
});

test('start() names a missing binary', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cd-proc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = new ContainerdProcess({ paths: containerdPaths(dir), binary: join(dir, 'no-such-containerd') });
  await assert.rejects(p.start(), { message: /^could not run .*no-such-containerd: spawn .*no-such-containerd ENOENT$/ });
  await p.stop();
});
