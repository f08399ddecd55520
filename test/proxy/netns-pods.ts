// "Pods" for the proxy and DNS tests and the service benchmark: network namespaces named `bt6-*`,
// attached to the bridge `bertht6` (10.42.246.0/25, gateway .1) or to the host through a
// point-to-point veth, each able to run a tiny HTTP server that answers with its own name.
// Everything created here is removed by `teardown()` (also after a failed test), and `sweep()`
// removes leftovers of an earlier run that was killed before it could clean up.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The bridge the tests own (contracts: P6 bridge `bertht6`). */
export const BRIDGE = 'bertht6';
/** Gateway address of the bridge (a /25 of the assigned 10.42.246.0/24). */
export const BRIDGE_GATEWAY = '10.42.246.1';

/** Why these tests cannot run here, or undefined. */
export async function netnsMissing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  for (const tool of ['ip', 'iptables-restore', 'iptables-save', 'busybox']) {
    try {
      await execFileP('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

/** Runs a command; resolves with its output and exit code (never rejects on a non-zero exit). */
export async function sh(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** One pod network namespace. */
export interface NetnsPod {
  /** The namespace name (`bt6-<name>`). */
  ns: string;
  ip: string;
  /**
   * A resolv.conf for the commands run by exec() and httpGet() (bind-mounted over /etc/resolv.conf
   * in a mount namespace of their own), as the kubelet gives a pod one; unset: the host's.
   */
  resolvConf?: string;
  /** Runs a command inside the namespace. */
  exec(cmd: string, args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  /**
   * GETs `url` `count` times from inside the namespace, each on a fresh connection (node's http;
   * busybox's wget crashes on these hosts): the body of each answer or the socket error's code.
   */
  httpGet(url: string, count?: number): Promise<{ status?: number; body?: string; error?: string }[]>;
  /** Starts an HTTP server on 0.0.0.0:port answering every request with `body`; resolves once it listens. */
  serveHttp(port: number, body: string): Promise<void>;
}

/** The pods of one test, and how to remove them. */
export interface PodNetwork {
  /** Creates the bridge (idempotent per network). */
  bridge(): Promise<void>;
  /** A namespace on the bridge with address `ip` (10.42.246.2-126). */
  podOnBridge(name: string, ip: string): Promise<NetnsPod>;
  /** A namespace reached by a veth of its own: host side `hostIp`/30, pod side `ip`/30. */
  podOnVeth(name: string, hostIp: string, ip: string): Promise<NetnsPod>;
  /** Stops the servers (by PID) and deletes the namespaces, veths and the bridge. */
  teardown(): Promise<void>;
}

/** Deletes namespaces `bt6-<name>` and the bridge left over by a killed run. */
export async function sweep(names: string[], withBridge: boolean): Promise<void> {
  for (const n of names) await sh('ip', ['netns', 'del', `bt6-${n}`]);
  for (const n of names) await sh('ip', ['link', 'del', `bt6${n}h`]);
  if (withBridge) await sh('ip', ['link', 'del', BRIDGE]);
}

function withResolvConf(resolvConf: string | undefined, cmd: string, args: string[]): string[] {
  if (!resolvConf) return [cmd, ...args];
  return ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, cmd, ...args];
}

/** Starts a network of test pods. */
export function createPodNetwork(): PodNetwork {
  const namespaces: string[] = [];
  const links: string[] = [];
  const servers: ChildProcess[] = [];
  let bridgeMade = false;

  const makePod = (ns: string, ip: string): NetnsPod => {
    const pod: NetnsPod = {
      ns,
      ip,
      exec: (cmd, args, timeoutMs) => sh('ip', ['netns', 'exec', ns, ...withResolvConf(pod.resolvConf, cmd, args)], timeoutMs),
      async httpGet(url, count = 1) {
        const script = `const http=require('node:http');const out=[];` +
          `const one=()=>new Promise((res)=>{const q=http.get(${JSON.stringify(url)},{agent:false,timeout:3000},(r)=>{let b='';r.setEncoding('utf8');r.on('data',(c)=>b+=c);r.on('end',()=>res({status:r.statusCode,body:b}));});` +
          `q.on('timeout',()=>q.destroy(Object.assign(new Error('timeout'),{code:'ETIMEDOUT'})));q.on('error',(e)=>res({error:e.code||e.message}));});` +
          `(async()=>{for(let i=0;i<${count};i++)out.push(await one());console.log(JSON.stringify(out));})();`;
        const r = await pod.exec(process.execPath, ['-e', script], 60_000);
        if (r.code !== 0) throw new Error(`http client in ${ns} failed: ${r.stderr}`);
        return JSON.parse(r.stdout) as { status?: number; body?: string; error?: string }[];
      },
      serveHttp: (port, body) => new Promise((resolve, reject) => {
        const script = `const http=require('node:http');const body=${JSON.stringify(body)};` +
          `http.createServer((q,s)=>{s.writeHead(200,{'content-type':'text/plain','content-length':Buffer.byteLength(body)});s.end(body);})` +
          `.listen(${port},'0.0.0.0',()=>console.log('listening'));`;
        const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        servers.push(child);
        let err = '';
        const timer = setTimeout(() => reject(new Error(`http server in ${ns} did not start: ${err}`)), 15_000);
        child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
        child.stdout.on('data', (c: Buffer) => { if (c.toString().includes('listening')) { clearTimeout(timer); resolve(); } });
        child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`http server in ${ns} exited (${code}): ${err}`)); });
      }),
    };
    return pod;
  };

  const newNs = async (name: string): Promise<string> => {
    const ns = `bt6-${name}`;
    await must('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  };

  return {
    async bridge() {
      if (bridgeMade) return;
      await must('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      bridgeMade = true;
      await must('ip', ['addr', 'add', `${BRIDGE_GATEWAY}/25`, 'dev', BRIDGE]);
      await must('ip', ['link', 'set', BRIDGE, 'up']);
    },
    async podOnBridge(name, ip) {
      const ns = await newNs(name);
      const host = `bt6${name}h`;
      await must('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      links.push(host);
      await must('ip', ['link', 'set', host, 'master', BRIDGE]);
      // What the CNI bridge plugin's hairpinMode does: a pod reaching itself through a Service
      // gets its own packet back through the port it came in on.
      await must('ip', ['link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on']);
      await must('ip', ['link', 'set', host, 'up']);
      await must('ip', ['-n', ns, 'addr', 'add', `${ip}/25`, 'dev', 'eth0']);
      await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', ns, 'route', 'add', 'default', 'via', BRIDGE_GATEWAY]);
      return makePod(ns, ip);
    },
    async podOnVeth(name, hostIp, ip) {
      const ns = await newNs(name);
      const host = `bt6${name}h`;
      await must('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      links.push(host);
      await must('ip', ['addr', 'add', `${hostIp}/30`, 'dev', host]);
      await must('ip', ['link', 'set', host, 'up']);
      await must('ip', ['-n', ns, 'addr', 'add', `${ip}/30`, 'dev', 'eth0']);
      await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', ns, 'route', 'add', 'default', 'via', hostIp]);
      return makePod(ns, ip);
    },
    async teardown() {
      for (const s of servers) {
        if (s.exitCode === null && s.signalCode === null && s.pid) {
          const exited = new Promise((r) => s.once('exit', r));
          process.kill(s.pid, 'SIGKILL');
          await exited;
        }
      }
      for (const ns of namespaces) await sh('ip', ['netns', 'del', ns]);
      for (const l of links) await sh('ip', ['link', 'del', l]);
      if (bridgeMade) await sh('ip', ['link', 'del', BRIDGE]);
    },
  };
}
