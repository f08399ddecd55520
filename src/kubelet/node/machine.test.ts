import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBinarySI, goArch, memTotalBytes, osImageFrom } from './machine.js';

test('formatBinarySI prints bytes as a BinarySI resource.Quantity canonicalizes them', () => {
  const cases: Array<{ name: string; bytes: bigint; want: string }> = [
    { name: 'zero', bytes: 0n, want: '0' },
    { name: 'below 1024 stays plain', bytes: 1023n, want: '1023' },
    { name: 'exact Ki', bytes: 16393244n * 1024n, want: '16393244Ki' },
    { name: 'exact Mi', bytes: 100n * 1024n * 1024n, want: '100Mi' },
    { name: 'exact Gi', bytes: 2n ** 30n, want: '1Gi' },
    { name: 'not a multiple of 1024 (allocatable ephemeral-storage)', bytes: 93478772582n, want: '93478772582' },
    { name: 'memory minus the 100Mi eviction threshold', bytes: 4029972n * 1024n - 100n * 1024n * 1024n, want: '3927572Ki' },
  ];
  for (const tc of cases) assert.equal(formatBinarySI(tc.bytes), tc.want, tc.name);
});

test('osImageFrom reads PRETTY_NAME as the kubelet does', () => {
  const cases = [
    { name: 'double quotes', text: 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n', want: 'Debian GNU/Linux 12 (bookworm)' },
    { name: 'single quotes', text: "PRETTY_NAME='Alpine Linux v3.20'\n", want: 'Alpine Linux v3.20' },
    { name: 'unquoted', text: 'PRETTY_NAME=Arch\n', want: 'Arch' },
    { name: 'missing', text: 'NAME=x\n', want: 'Linux' },
  ];
  for (const tc of cases) assert.equal(osImageFrom(tc.text), tc.want, tc.name);
});

test('memTotalBytes reads MemTotal in KiB; goArch spells GOARCH', () => {
  assert.equal(memTotalBytes('MemTotal:       16393244 kB\nMemFree: 1 kB\n'), 16393244n * 1024n);
  assert.equal(memTotalBytes('nothing'), 0n);
  assert.deepEqual(['x64', 'arm64', 'ia32'].map((a) => goArch(a)), ['amd64', 'arm64', '386']);
});
