// cgroup arithmetic, as upstream's helpers_linux_test.go and kuberuntime_container_linux_test.go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { linuxContainerResources, milliCpuToQuota, milliCpuToShares, oomScoreAdj, podQosClass } from './resources.js';

const shareCases = [
  { name: 'no request: minimum shares', milli: 0, want: 2 },
  { name: '1m rounds below the minimum', milli: 1, want: 2 },
  { name: '100m', milli: 100, want: 102 },
  { name: '250m', milli: 250, want: 256 },
  { name: '1 CPU', milli: 1000, want: 1024 },
  { name: '1.5 CPU', milli: 1500, want: 1536 },
  { name: 'clamped at the maximum', milli: 300_000, want: 262144 },
];
for (const c of shareCases) test(`milliCpuToShares: ${c.name}`, () => assert.equal(milliCpuToShares(c.milli), c.want));

const quotaCases = [
  { name: 'no limit: 0 (unlimited)', milli: 0, want: 0 },
  { name: '1m is raised to the 1000us minimum', milli: 1, want: 1000 },
  { name: '5m is raised to the minimum', milli: 5, want: 1000 },
  { name: '10m', milli: 10, want: 1000 },
  { name: '200m', milli: 200, want: 20000 },
  { name: '500m', milli: 500, want: 50000 },
  { name: '2 CPUs', milli: 2000, want: 200000 },
];
for (const c of quotaCases) test(`milliCpuToQuota: ${c.name}`, () => assert.equal(milliCpuToQuota(c.milli, 100000), c.want));

const GiB = 1024 ** 3;
function podWith(...containers: Container[]): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers } };
}

const resCases: { name: string; c: Container; want: object }[] = [
  {
    name: 'best effort: min shares, no quota, no memory limit, oom 1000',
    c: { name: 'a' },
    want: { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 0, oomScoreAdj: 1000 },
  },
  {
    name: 'requests and limits',
    c: { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } },
    want: { cpuShares: 256, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitInBytes: 128 * 1024 * 1024, oomScoreAdj: 1000 - Math.trunc((1000 * 64 * 1024 * 1024) / (4 * GiB)) },
  },
  {
    name: 'only a CPU limit: shares follow the limit',
    c: { name: 'a', resources: { limits: { cpu: '2' } } },
    want: { cpuShares: 2048, cpuPeriod: 100000, cpuQuota: 200000, oomScoreAdj: 999 },
  },
  {
    name: 'guaranteed: oom_score_adj -997 is floored at 0 on these hosts',
    c: { name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } },
    want: { cpuShares: 1024, cpuPeriod: 100000, cpuQuota: 100000, memoryLimitInBytes: GiB, oomScoreAdj: 0 },
  },
  {
    name: 'burstable with a huge memory request: at least 3',
    c: { name: 'a', resources: { requests: { memory: '4Gi' } } },
    want: { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 0, oomScoreAdj: 3 },
  },
];
for (const c of resCases) {
  test(`linuxContainerResources: ${c.name}`, () => {
    assert.deepEqual(linuxContainerResources(podWith(c.c), c.c, 4 * GiB), c.want);
  });
}

test('podQosClass: status wins, else computed', () => {
  assert.equal(podQosClass(podWith({ name: 'a' })), 'BestEffort');
  assert.equal(podQosClass(podWith({ name: 'a', resources: { requests: { cpu: '1' } } })), 'Burstable');
  assert.equal(podQosClass(podWith({ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } })), 'Guaranteed');
  assert.equal(podQosClass({ ...podWith({ name: 'a' }), status: { qosClass: 'Burstable' } }), 'Burstable');
  assert.ok(oomScoreAdj(podWith({ name: 'a' }), { name: 'a' }, GiB) >= 0);
});
