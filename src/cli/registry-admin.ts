// `berth registry project|robot|user|member ...`: Harbor-style admin commands that call the
// registry's REST API (/api/v2.0), as a person or a script would.
//
// Credentials never come from argv: the password is read from --password-file, else
// $BERTH_REGISTRY_PASSWORD (for the user `admin` also $BERTH_REGISTRY_ADMIN_PASSWORD). A new
// user's password comes from --new-password-file or $BERTH_REGISTRY_NEW_PASSWORD. A robot's
// secret is shown once, on create (or written to --secret-file, mode 0600).
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Command } from 'commander';
import { CliError } from './errors.js';

/** Where output goes and which environment is read (tests inject both). */
export interface AdminIo {
  out(line: string): void;
  env: NodeJS.ProcessEnv;
}

interface ConnFlags {
  url: string;
  caFile?: string;
  user: string;
  passwordFile?: string;
}

const ROLES: Record<string, number> = {
  projectadmin: 1, 'project-admin': 1, admin: 1, developer: 2, guest: 3, maintainer: 4, limitedguest: 5, 'limited-guest': 5,
};

function readSecretFile(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${flag}: ${(e as Error).message}`);
  }
  const v = text.replace(/\r?\n$/, '');
  if (!v) throw new CliError(`${flag} is empty`);
  return v;
}

/** The caller's password: --password-file, else the environment. */
export function resolvePassword(flags: { user: string; passwordFile?: string }, env: NodeJS.ProcessEnv): string {
  if (flags.passwordFile !== undefined) return readSecretFile(flags.passwordFile, '--password-file');
  const v = env.BERTH_REGISTRY_PASSWORD || (flags.user === 'admin' ? env.BERTH_REGISTRY_ADMIN_PASSWORD : undefined);
  if (v) return v;
  throw new CliError('no password: use --password-file FILE or set BERTH_REGISTRY_PASSWORD');
}

/** A minimal client for the REST API. */
class ApiClient {
  private readonly base: URL;
  private readonly ca?: string;
  private readonly auth: string;

  constructor(flags: ConnFlags, env: NodeJS.ProcessEnv) {
    try {
      this.base = new URL(flags.url);
    } catch {
      throw new CliError(`invalid --url ${JSON.stringify(flags.url)}`);
    }
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') throw new CliError(`invalid --url ${JSON.stringify(flags.url)}: want http(s)://HOST:PORT`);
    this.ca = flags.caFile !== undefined ? readSecretFile(flags.caFile, '--ca-file') : undefined;
    this.auth = `Basic ${Buffer.from(`${flags.user}:${resolvePassword(flags, env)}`).toString('base64')}`;
  }

  /** Sends a request; resolves the parsed body and headers or throws a one-line CliError. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, string | string[] | undefined> }> {
    const url = new URL(`/api/v2.0${path}`, this.base);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { authorization: this.auth, accept: 'application/json' };
    if (data) Object.assign(headers, { 'content-type': 'application/json', 'content-length': data.length });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(url.protocol === 'https:' && this.ca ? { ca: this.ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const e = parsed?.errors?.[0];
            reject(new CliError(`registry API ${method} ${url.pathname}: ${status} ${e ? `${e.code}: ${e.message}` : String(text).slice(0, 200)}`));
            return;
          }
          resolve({ status, body: parsed, headers: res.headers });
        });
      });
      req.on('error', (e) => reject(new CliError(`cannot reach the registry at ${this.base.origin}: ${e.message}`)));
      req.end(data);
    });
  }

  /** Every item of a paged list. */
  async all(path: string): Promise<any[]> {
    const out: any[] = [];
    for (let page = 1; ; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const r = await this.call('GET', `${path}${sep}page=${page}&page_size=100`);
      out.push(...(r.body as any[]));
      if (!(r.body as any[]).length || out.length >= Number(r.headers['x-total-count'] ?? 0)) return out;
    }
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function pad(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   '));
}

/**
 * Adds the admin subcommands under `registryCmd` (the `berth registry` command). `io` defaults
 * to stdout and process.env.
 */
export function registerRegistryAdmin(registryCmd: Command, io: AdminIo = { out: (l) => process.stdout.write(`${l}\n`), env: process.env }): void {
  const conn = (c: Command): Command => c
    .option('--url <url>', 'registry base URL', 'https://127.0.0.1:5000')
    .option('--ca-file <file>', 'CA certificate to trust (e.g. DIR/tls/ca.crt)')
    .option('--user <name>', 'user or robot to act as', 'admin')
    .option('--password-file <file>', 'file holding the password (else $BERTH_REGISTRY_PASSWORD)');
  const client = (flags: ConnFlags) => new ApiClient(flags, io.env);

  const project = registryCmd.command('project').description('manage projects');
  conn(project.command('create').description('create a project').argument('<name>').option('--public', 'anyone may pull'))
    .action(async (name: string, f: ConnFlags & { public?: boolean }) => {
      await client(f).call('POST', '/projects', { project_name: name, metadata: { public: String(f.public === true) } });
      io.out(`project ${name} created`);
    });
  conn(project.command('list').description('list projects'))
    .action(async (f: ConnFlags) => {
      const items = await client(f).all('/projects');
      io.out(pad([['NAME', 'PUBLIC', 'REPOSITORIES', 'OWNER'], ...items.map((p) => [p.name, p.metadata?.public ?? 'false', String(p.repo_count ?? 0), p.owner_name ?? ''])]).join('\n'));
    });
  conn(project.command('delete').description('delete an empty project').argument('<name>'))
    .action(async (name: string, f: ConnFlags) => {
      await client(f).call('DELETE', `/projects/${enc(name)}`);
      io.out(`project ${name} deleted`);
    });

  const robot = registryCmd.command('robot').description('manage robot accounts');
  conn(robot.command('create').description('create a robot account; prints its secret once').argument('<name>')
    .option('--project <name>', 'project of a project-level robot')
    .option('--system-projects <list>', 'system-level robot over these projects (comma separated, * for all)')
    .option('--permissions <list>', 'repository actions: pull, push, delete', 'pull')
    .option('--duration <days>', 'days until it expires, -1 never', '-1')
    .option('--description <text>', 'description', '')
    .option('--secret-file <file>', 'write the secret to this file (mode 0600) instead of printing it'))
    .action(async (name: string, f: ConnFlags & { project?: string; systemProjects?: string; permissions: string; duration: string; description: string; secretFile?: string }) => {
      if ((f.project === undefined) === (f.systemProjects === undefined)) throw new CliError('give exactly one of --project or --system-projects');
      const duration = Number(f.duration);
      if (!Number.isInteger(duration)) throw new CliError(`invalid --duration ${JSON.stringify(f.duration)}`);
      const actions = f.permissions.split(',').map((s) => s.trim()).filter(Boolean);
      const access = actions.map((action) => ({ resource: 'repository', action }));
      const namespaces = f.project !== undefined ? [f.project] : f.systemProjects!.split(',').map((s) => s.trim()).filter(Boolean);
      const r = await client(f).call('POST', '/robots', {
        name, description: f.description, duration, level: f.project !== undefined ? 'project' : 'system',
        permissions: namespaces.map((namespace) => ({ kind: 'project', namespace, access })),
      });
      if (f.secretFile !== undefined) {
        writeFileSync(f.secretFile, `${r.body.secret}\n`, { mode: 0o600 });
        io.out(`robot ${r.body.name} created (id ${r.body.id}); secret written to ${f.secretFile}`);
      } else {
        io.out(`robot ${r.body.name} created (id ${r.body.id})`);
        io.out(`secret: ${r.body.secret}`);
      }
    });
  conn(robot.command('list').description('list robot accounts').option('--project <name>', 'only this project\'s robots'))
    .action(async (f: ConnFlags & { project?: string }) => {
      const c = client(f);
      let q = '';
      if (f.project !== undefined) {
        const p = await c.call('GET', `/projects/${enc(f.project)}`, undefined);
        q = `?q=${enc(`Level=project,ProjectID=${p.body.project_id}`)}`;
      }
      const items = await c.all(`/robots${q}`);
      const exp = (v: number) => (v === -1 ? 'never' : new Date(v * 1000).toISOString());
      io.out(pad([['ID', 'NAME', 'LEVEL', 'DISABLED', 'EXPIRES'], ...items.map((r) => [String(r.id), r.name, r.level, String(r.disable), exp(r.expires_at)])]).join('\n'));
    });
  conn(robot.command('delete').description('delete a robot account by id or full name').argument('<id-or-name>'))
    .action(async (ref: string, f: ConnFlags) => {
      const c = client(f);
      let id = ref;
      if (!/^\d+$/.test(ref)) {
        const found = (await c.all('/robots')).find((r) => r.name === ref);
        if (!found) throw new CliError(`robot ${ref} not found`);
        id = String(found.id);
      }
      await c.call('DELETE', `/robots/${id}`);
      io.out(`robot ${ref} deleted`);
    });

  const user = registryCmd.command('user').description('manage users');
  conn(user.command('create').description('create a user').argument('<name>')
    .option('--email <email>', 'email', '')
    .option('--realname <name>', 'real name', '')
    .option('--new-password-file <file>', 'file holding the new user\'s password (else $BERTH_REGISTRY_NEW_PASSWORD)'))
    .action(async (name: string, f: ConnFlags & { email: string; realname: string; newPasswordFile?: string }) => {
      const pw = f.newPasswordFile !== undefined ? readSecretFile(f.newPasswordFile, '--new-password-file') : io.env.BERTH_REGISTRY_NEW_PASSWORD;
      if (!pw) throw new CliError('no password for the new user: use --new-password-file FILE or set BERTH_REGISTRY_NEW_PASSWORD');
      await client(f).call('POST', '/users', { username: name, email: f.email, realname: f.realname || name, password: pw });
      io.out(`user ${name} created`);
    });

  const member = registryCmd.command('member').description('manage project members');
  conn(member.command('add').description('add a user to a project').argument('<project>').argument('<user>')
    .option('--role <role>', 'projectAdmin, maintainer, developer, guest or limitedGuest', 'developer'))
    .action(async (projectName: string, userName: string, f: ConnFlags & { role: string }) => {
      const role = ROLES[f.role.toLowerCase()];
      if (role === undefined) throw new CliError(`invalid --role ${JSON.stringify(f.role)}: want projectAdmin, maintainer, developer, guest or limitedGuest`);
      await client(f).call('POST', `/projects/${enc(projectName)}/members`, { role_id: role, member_user: { username: userName } });
      io.out(`user ${userName} added to ${projectName} as ${f.role}`);
    });
  conn(member.command('list').description('list the members of a project').argument('<project>'))
    .action(async (projectName: string, f: ConnFlags) => {
      const items = await client(f).all(`/projects/${enc(projectName)}/members`);
      io.out(pad([['NAME', 'ROLE'], ...items.map((m) => [m.entity_name, m.role_name])]).join('\n'));
    });
}
