// What the node agent reports about the machine, read the way cadvisor and the kubelet read it:
// CPUs from the OS, memory from /proc/meminfo MemTotal, ephemeral storage from the capacity of the
// filesystem holding the kubelet root dir, identity from /etc/machine-id,
// /sys/class/dmi/id/product_uuid and /proc/sys/kernel/random/boot_id, the OS image from
// /etc/os-release PRETTY_NAME and the kernel from uname -r.
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, release } from 'node:os';

/** The machine facts a Node's capacity and nodeInfo come from. */
export interface MachineInfo {
  /** Logical CPUs. */
  cpus: number;
  memoryBytes: bigint;
  /** Capacity of the filesystem holding the kubelet root dir. */
  ephemeralStorageBytes: bigint;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  /** GOOS spelling: `linux`. */
  operatingSystem: string;
  /** GOARCH spelling: `amd64`, `arm64`. */
  architecture: string;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Node's process.arch in Go's GOARCH spelling (what upstream labels and nodeInfo use). */
export function goArch(arch: string = process.arch): string {
  return GOARCH[arch] ?? arch;
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** PRETTY_NAME of an os-release file's text (quotes removed), or `Linux` as the kubelet falls back. */
export function osImageFrom(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (!m) return 'Linux';
  return m[1].trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
}

/** MemTotal of a /proc/meminfo text in bytes (the file says kB, meaning KiB). */
export function memTotalBytes(meminfo: string): bigint {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? BigInt(m[1]) * 1024n : 0n;
}

/** Reads the machine's facts; `rootDir` is the kubelet root dir (its filesystem gives ephemeral-storage). */
export function readMachineInfo(rootDir: string): MachineInfo {
  let storage: bigint;
  try {
    const s = statfsSync(rootDir, { bigint: true });
    storage = s.blocks * s.bsize;
  } catch {
    storage = 0n;
  }
  const osRelease = readTrim('/etc/os-release') || readTrim('/usr/lib/os-release');
  return {
    cpus: cpus().length,
    memoryBytes: memTotalBytes(readTrim('/proc/meminfo')),
    ephemeralStorageBytes: storage,
    machineID: readTrim('/etc/machine-id'),
    systemUUID: readTrim('/sys/class/dmi/id/product_uuid'),
    bootID: readTrim('/proc/sys/kernel/random/boot_id'),
    kernelVersion: release(),
    osImage: osImageFrom(osRelease),
    operatingSystem: process.platform,
    architecture: goArch(),
  };
}

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * A byte count as resource.Quantity prints a BinarySI quantity: below 1024 the plain number,
 * else the largest power of 1024 that divides it exactly (`16393244Ki`, `100Mi`), else the plain
 * number (`93478772582`).
 */
export function formatBinarySI(bytes: bigint): string {
  if (bytes > -1024n && bytes < 1024n) return bytes.toString();
  let v = bytes;
  let i = 0;
  while (i < BINARY_SUFFIXES.length - 1 && v % 1024n === 0n && v !== 0n) {
    v /= 1024n;
    i++;
  }
  return `${v}${BINARY_SUFFIXES[i]}`;
}
