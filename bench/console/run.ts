// bench/console: how long the registry's web console takes to load a project holding 1,000
// repositories and render its first page, in Debian's Chromium (headless, off the network).
//
//   node --import tsx bench/console/run.ts [--repos N] [--runs N]
//
// Starts `berth registry` (HTTPS on loopback), creates a private project with N repositories
// (default 1,000; each one tiny manifest, pushed over the distribution API), signs into the
// console and then, `runs` times (default 9), reloads the project's repositories page and waits
// until the 15 rows of page 1 are in the DOM. Two rows:
//   reload (cached assets)  what a person pressing reload sees: the browser reuses the hashed bundles
//   cold (cache disabled)   every asset fetched again (Chrome DevTools' "Disable cache")
// The floor column is the API call the page makes for page 1, timed from Node over a
// keep-alive HTTPS connection with the same session: what the page cannot beat.
// Target (the issue): under 1 second.
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:https';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProject, startBerthRegistry, type BerthRegistry } from '../../test/helpers/registry.js';
import { launchBrowser, type BrowserSession } from '../../test/console/browser.js';
import { seedRepositories } from '../../test/console/seed.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROJECT = 'bench';
const PAGE_ROWS = 15;
const TARGET_MS = 1000;

function parseArgs(argv: string[]): { repos: number; runs: number } {
  let repos = 1000;
  let runs = 9;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--repos') repos = Number(argv[++i]);
    else if (argv[i] === '--runs') runs = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}; usage: run.ts [--repos N] [--runs N]`);
  }
  if (!(repos >= PAGE_ROWS) || !(runs >= 1)) throw new Error(`--repos must be at least ${PAGE_ROWS} and --runs at least 1`);
  return { repos, runs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times the page's own first API call (page 1 of the repositories) from Node, with the session cookie. */
async function apiFloor(reg: BerthRegistry, projectId: number, cookie: string, runs: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, ca: reg.caFile ? (await import('node:fs')).readFileSync(reg.caFile) : undefined });
  const url = new URL(`/api/v2.0/projects/${projectId}/repositories?page=1&page_size=${PAGE_ROWS}`, reg.url);
  const once = () => new Promise<number>((res, rej) => {
    const t0 = performance.now();
    const req = request(url, { agent, headers: { cookie, accept: 'application/json' } }, (r) => {
      r.resume();
      r.on('end', () => (r.statusCode === 200 ? res(performance.now() - t0) : rej(new Error(`API answered ${r.statusCode}`))));
    });
    req.on('error', rej);
    req.end();
  });
  await once();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  agent.destroy();
  return out;
}

async function pageLoads(b: BrowserSession, url: string, runs: number, cold: boolean): Promise<number[]> {
  const cdp = await b.context.newCDPSession(b.page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  const lastRow = `tbody tr:nth-child(${PAGE_ROWS})`;
  const out: number[] = [];
  // Start on the page itself, as a person pressing reload does: the navigation stays in the same
  // renderer process (coming from about:blank would time a process start as well).
  await b.page.goto(url);
  await b.page.waitForSelector(lastRow, { state: 'attached', timeout: 30_000 });
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    await b.page.reload({ waitUntil: 'commit' });
    await b.page.waitForSelector(lastRow, { state: 'attached', timeout: 30_000 });
    const ms = performance.now() - t0;
    if (i > 0) out.push(ms); // run 0 warms the server and the browser
  }
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.detach();
  return out;
}

async function main(): Promise<void> {
  const { repos, runs } = parseArgs(process.argv.slice(2));
  const built = spawnSync(process.execPath, [join(REPO_ROOT, 'web', 'build.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`web build failed: ${built.stderr}`);
  const reg = await startBerthRegistry();
  let b: BrowserSession | undefined;
  try {
    await createProject(reg, PROJECT, false);
    const names = Array.from({ length: repos }, (_, i) => `repo-${String(i).padStart(4, '0')}`);
    const t0 = performance.now();
    await seedRepositories(reg, PROJECT, names, 8);
    const seedMs = performance.now() - t0;
    const project = await reg.api('GET', `/projects/${PROJECT}`);
    const projectId = project.body.project_id as number;
    const listed = await reg.api('GET', `/projects/${PROJECT}/repositories?page=1&page_size=1`);
    if (listed.headers['x-total-count'] !== String(repos)) throw new Error(`expected ${repos} repositories, the API counts ${String(listed.headers['x-total-count'])}`);

    b = await launchBrowser();
    await b.page.goto(`${reg.url}/account/sign-in`);
    await b.page.getByLabel('Username').fill('admin');
    await b.page.getByLabel('Password').fill(reg.adminPassword);
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.page.waitForURL(/\/harbor\/projects$/);
    const sid = (await b.context.cookies(reg.url)).find((c) => c.name === 'sid');
    if (!sid) throw new Error('no session cookie after sign-in');

    const pageUrl = `${reg.url}/harbor/projects/${projectId}/repositories`;
    const warm = await pageLoads(b, pageUrl, runs, false);
    const cold = await pageLoads(b, pageUrl, runs, true);
    const floor = await apiFloor(reg, projectId, `sid=${sid.value}`, runs);
    const outside = b.requests.filter((u) => !u.startsWith(`${new URL(reg.url).origin}/`) && !u.startsWith('data:'));

    const f = median(floor);
    const fmt = (n: number) => n.toFixed(1).padStart(8);
    process.stdout.write(`\nberth console: project with ${repos} repositories (seeded in ${(seedMs / 1000).toFixed(1)} s), page 1 of ${PAGE_ROWS} rows, ${runs} runs each, Chromium ${b.context.browser()?.version() ?? ''}\n\n`);
    process.stdout.write(`${'row'.padEnd(44)}${'median ms'.padStart(10)}${'min'.padStart(9)}${'max'.padStart(9)}${'floor ms'.padStart(10)}${'ratio'.padStart(8)}  target\n`);
    for (const [name, xs] of [['repositories page, reload (cached assets)', warm], ['repositories page, cold (cache disabled)', cold]] as const) {
      const m = median(xs);
      process.stdout.write(`${name.padEnd(44)}${fmt(m).padStart(10)}${fmt(Math.min(...xs)).padStart(9)}${fmt(Math.max(...xs)).padStart(9)}${fmt(f).padStart(10)}${(m / f).toFixed(1).padStart(8)}  ${m < TARGET_MS ? 'ok' : 'MISSED'} (< ${TARGET_MS} ms)\n`);
    }
    process.stdout.write(`${'API page 1 alone (floor)'.padEnd(44)}${fmt(f).padStart(10)}${fmt(Math.min(...floor)).padStart(9)}${fmt(Math.max(...floor)).padStart(9)}\n`);
    process.stdout.write(`\nrequests outside the registry: ${outside.length}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (first-minute figure above 2 on 2 cores means the timings include waiting for a CPU)\n`);
  } finally {
    await b?.close();
    await reg.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench/console: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
