// Issue 4's crash cases: kill -9 of `berth up` while pods run leaves them serving, and the
// restarted berth adopts them (Running, same container, unchanged restart count); kill -9 of the
// node's containerd makes berth restart it, and the pods recover.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify as yaml } from 'yaml';
import { preflight } from '../../src/kubelet/containerd/index.js';
import { startBerthUp, type BerthUp } from '../helpers/berth-up.js';
import { kubectl, kubectlMissing, type KubectlTarget } from '../helpers/kubectl.js';
import { pollUntil } from '../helpers/registry.js';
import { buildTestImages, defaultImagesDir } from '../images/build.js';
import { pushLayout } from '../images/push.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : (preflight().find((r) => !r.ok)?.message ?? kubectlMissing());

let up: BerthUp;
let k: KubectlTarget;

async function getPod(name: string): Promise<any> {
  const r = await kubectl(k, ['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function httpStatus(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: 80, path: '/', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('berth up survives crashes', { skip, timeout: 10 * 60_000 }, () => {
  before(async () => {
    const images = await buildTestImages(defaultImagesDir(), ['nginx']);
    up = await startBerthUp();
    k = { kubeconfig: up.kubeconfig, home: up.home };
    await pushLayout(images.nginx!.ociRef, `${up.registryHost}/library/nginx:latest`, { credentials: { username: 'admin', password: up.adminPassword }, tls: { caFile: up.caFile } });
    const r = await kubectl(k, ['apply', '-f', '-'], { stdin: yaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } }) });
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await up?.stop();
  });

  it('kill -9 of berth up: the pod keeps serving; the restarted berth reports it Running with the same container and restart count', async () => {
    const before = await pollUntil('web Running', 120_000, async () => {
      const p = await getPod('web');
      return p.status.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    const ip: string = before.status.podIP;
    assert.equal(await httpStatus(ip), 200);
    await up.kill9();
    assert.equal(await httpStatus(ip), 200, 'the pod serves while berth is down');
    await up.restart();
    const afterRestart = await pollUntil('web Running after restart', 60_000, async () => {
      const p = await getPod('web');
      return p.status.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    });
    assert.equal(afterRestart.status.containerStatuses[0].containerID, before.status.containerStatuses[0].containerID);
    assert.equal(afterRestart.status.containerStatuses[0].restartCount, before.status.containerStatuses[0].restartCount);
    assert.equal(afterRestart.status.podIP, ip);
    assert.equal(await httpStatus(ip), 200);
  });

  it('kill -9 of containerd: berth restarts it and the pods recover', async () => {
    const pidFile = join(up.dataDir, 'agents', 'node01', 'containerd', 'containerd.pid');
    const old = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(alive(old));
    process.kill(old, 'SIGKILL');
    await pollUntil('a new containerd', 60_000, async () => {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      return pid !== old && alive(pid) ? pid : undefined;
    });
    const p = await getPod('web');
    assert.equal(await httpStatus(p.status.podIP), 200);
    const r = await kubectl(k, ['run', 'after-crash', '--image=nginx']);
    assert.equal(r.code, 0, r.stderr);
    await pollUntil('after-crash Running', 120_000, async () => ((await getPod('after-crash')).status.phase === 'Running' ? true : undefined));
    const web = await getPod('web');
    assert.equal(web.status.containerStatuses[0].restartCount, p.status.containerStatuses[0].restartCount);
  });
});
