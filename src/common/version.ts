// The version berth reports at /version. The minor must be "32": the kubectl dispatcher on the
// project's machines picks its client from it (kubectl-wire.md section 0).
export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+berth',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-25T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
} as const;
