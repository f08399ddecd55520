// The registry's web console in Debian's Chromium, against `berth registry` started as a user
// would start it: sign in, projects, pushes and pulls with skopeo, pull counts, robot accounts,
// escaping, permissions, session cookie flags, CSRF, narrow windows. Each test saves a
// screenshot under test-artifacts/console/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClientSandbox, skopeo, tlsFlags, type ClientSandbox } from '../images/push.js';
import { buildTestImages, type BuiltImage } from '../images/build.js';
import { createMember, pollUntil, startBerthRegistry, type BerthRegistry } from '../helpers/registry.js';
import { chromiumMissing, launchBrowser, type BrowserSession } from './browser.js';
import { seedRepositories } from './seed.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROJECT = 'team-private';
const REPO = 'busybox';
const XSS = '<img src=x onerror=alert(1)>';
const OUTSIDER = { username: 'outsider', password: 'Outsider1pass' };

function skipReason(): string | undefined {
  const chromium = chromiumMissing();
  if (chromium) return chromium;
  if (spawnSync('skopeo', ['--version']).status !== 0) return 'skopeo is not installed (Debian package skopeo)';
  return undefined;
}

describe('registry web console in Chromium', () => {
  const skip = skipReason();
  let reg: BerthRegistry;
  let b: BrowserSession;
  let sb: ClientSandbox;
  let busybox: BuiltImage;
  let projectId = 0;
  let robotSecret = '';
  let robotName = '';
  const dialogs: string[] = [];

  before(async () => {
    if (skip) return;
    // The console's assets are built from web/src, as `npm run build` does.
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'web', 'build.mjs')], { encoding: 'utf8' });
    assert.equal(built.status, 0, `web build failed: ${built.stderr}`);
    busybox = (await buildTestImages(undefined, ['busybox'])).busybox!;
    reg = await startBerthRegistry();
    sb = createClientSandbox('berth-console-');
    b = await launchBrowser();
    b.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  after(async () => {
    await b?.close();
    sb?.remove();
    await reg?.stop();
  });

  const url = (path: string) => `${reg.url}${path}`;
  const auth = (name: string, creds: { username: string; password: string }) => sb.authFile(name, [{ host: reg.host, ...creds }]);
  const admin = () => ({ username: 'admin', password: reg.adminPassword });
  const pull = (authFile: string, i: number) => skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, { caFile: reg.caFile! }, 'src-'),
    '--src-authfile', authFile, `docker://${reg.host}/${PROJECT}/${REPO}:1`, `oci:${join(sb.dir, `pull-${i}`)}:1`]);
  const cell = (rowTestId: string, cellTestId: string) => b.page.getByTestId(rowTestId).getByTestId(cellTestId);

  test('admin signs in with the keyboard alone and sees the library project', { skip }, async () => {
    await b.page.goto(url('/'));
    await b.page.waitForURL(/\/account\/sign-in/);
    // Focus starts in the user name field; Tab moves to the password; Enter submits.
    await b.page.keyboard.type('admin');
    await b.page.keyboard.press('Tab');
    await b.page.keyboard.type(reg.adminPassword);
    await b.page.keyboard.press('Enter');
    await b.page.waitForURL(/\/harbor\/projects$/);
    await b.page.getByTestId('project-library').waitFor();
    assert.equal(await b.page.getByTestId('project-library').locator('td').nth(1).textContent(), 'Public');
    await b.screenshot('01-projects-after-sign-in');
  });

  test('the session cookie is HttpOnly, SameSite=Strict and Secure on HTTPS', { skip }, async () => {
    const sid = (await b.context.cookies(reg.url)).find((c) => c.name === 'sid');
    assert.ok(sid, 'no sid cookie after sign-in');
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.sameSite, 'Strict');
    assert.equal(sid.secure, true);
    assert.equal(await b.page.evaluate('document.cookie.includes("sid=")'), false, 'page script can read the session cookie');
    await b.screenshot('02-session');
  });

  test('a state-changing request without the CSRF token is refused', { skip }, async () => {
    const r = await b.page.evaluate(async () => {
      const res = await fetch('/api/v2.0/projects', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ project_name: 'csrf-probe' }) });
      return { status: res.status, body: await res.text() };
    });
    assert.equal(r.status, 403);
    assert.match(r.body, /CSRF token invalid/);
    assert.equal((await reg.api('GET', '/projects?name=csrf-probe')).body.length, 0);
    await b.screenshot('03-csrf');
  });

  test('admin creates a private project and its empty state tells how to push', { skip }, async () => {
    await b.page.getByRole('button', { name: '+ New project' }).click();
    await b.page.getByLabel('Project name').fill(PROJECT);
    await b.page.getByRole('button', { name: 'Create' }).click();
    const row = b.page.getByTestId(`project-${PROJECT}`);
    await row.waitFor();
    assert.equal(await row.locator('td').nth(1).textContent(), 'Private');
    assert.equal(await cell(`project-${PROJECT}`, 'repo-count').textContent(), '0');
    const p = await reg.api('GET', `/projects/${PROJECT}`);
    assert.equal(p.body.metadata.public, 'false');
    projectId = p.body.project_id;
    await row.getByRole('link', { name: PROJECT }).click();
    await b.page.getByTestId('empty-state').waitFor();
    assert.equal(await b.page.getByTestId('push-skopeo').textContent(),
      `skopeo copy oci:./image:latest docker://${reg.host}/${PROJECT}/REPOSITORY:TAG`);
    assert.equal(await b.page.getByTestId('push-docker').textContent(), `docker push ${reg.host}/${PROJECT}/REPOSITORY[:TAG]`);
    await b.screenshot('04-empty-project');
  });

  test('an API error is shown in place: a name Harbor refuses', { skip }, async () => {
    await b.page.goto(url('/harbor/projects'));
    await b.page.getByRole('button', { name: '+ New project' }).click();
    await b.page.getByLabel('Project name').fill('Bad Name');
    await b.page.getByRole('button', { name: 'Create' }).click();
    const alert = b.page.locator('dialog [role=alert]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /project name/i);
    await b.screenshot('05-error-in-place');
    // Escape closes the dialog (keyboard users are never trapped in it).
    await b.page.keyboard.press('Escape');
    await b.page.locator('dialog').waitFor({ state: 'detached', timeout: 5_000 });
  });

  test('an image pushed with skopeo is listed with its artifact and pull command', { skip }, async () => {
    const r = await skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, { caFile: reg.caFile! }, 'dest-'),
      '--dest-authfile', auth('admin', admin()), busybox.ociRef, `docker://${reg.host}/${PROJECT}/${REPO}:1`]);
    assert.equal(r.code, 0, r.stderr);
    await b.page.goto(url(`/harbor/projects/${projectId}/repositories`));
    const rowId = `repo-${PROJECT}/${REPO}`;
    await b.page.getByTestId(rowId).waitFor();
    assert.equal(await cell(rowId, 'artifact-count').textContent(), '1');
    assert.equal(await cell(rowId, 'pull-count').textContent(), '0');
    await b.screenshot('06-repositories');
    await b.page.getByRole('link', { name: `${PROJECT}/${REPO}` }).click();
    const art = b.page.getByTestId(`artifact-${busybox.manifest.digest}`);
    await art.waitFor();
    assert.equal(await art.locator('.chip span').textContent(), '1');
    assert.match((await art.textContent()) ?? '', new RegExp(`docker pull ${reg.host.replace(/\./g, '\\.')}/${PROJECT}/${REPO}@${busybox.manifest.digest}`));
    await b.screenshot('07-artifacts');
  });

  test('a project with repositories cannot be deleted and the console says why', { skip }, async () => {
    await b.page.goto(url('/harbor/projects'));
    await b.page.getByRole('button', { name: `Delete project ${PROJECT}` }).click();
    await b.page.locator('dialog').getByRole('button', { name: 'Delete' }).click();
    const alert = b.page.locator('main [role=alert]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), `Could not delete ${PROJECT}: the project contains repositories, can not be deleted`);
    await b.screenshot('08-delete-refused');
  });

  test('three pulls with skopeo raise the pull count by 3 after a reload', { skip }, async () => {
    const rowId = `repo-${PROJECT}/${REPO}`;
    await b.page.goto(url(`/harbor/projects/${projectId}/repositories`));
    await b.page.getByTestId(rowId).waitFor();
    const before = Number(await cell(rowId, 'pull-count').textContent());
    const authFile = auth('admin-pull', admin());
    for (let i = 0; i < 3; i++) {
      const r = await pull(authFile, i);
      assert.equal(r.code, 0, r.stderr);
    }
    // The API promises a pull is counted within 2 seconds: reload until it shows, up to 3 s.
    const shown = await pollUntil('pull count to rise by 3 after a reload', 3_000, async () => {
      await b.page.reload();
      await b.page.getByTestId(rowId).waitFor();
      const n = Number(await cell(rowId, 'pull-count').textContent());
      return n >= before + 3 ? n : undefined;
    });
    assert.equal(shown, before + 3);
    await b.screenshot('09-pull-count');
  });

  test('a pull-only robot is created, its secret shown once, and skopeo pulls with it but cannot push', { skip }, async () => {
    await b.page.goto(url(`/harbor/projects/${projectId}/robots`));
    await b.page.getByTestId('empty-state').waitFor();
    await b.page.getByRole('button', { name: '+ New robot account' }).click();
    await b.page.getByLabel('Name', { exact: true }).fill('ci-pull');
    await b.page.getByLabel('Never expires').check();
    assert.equal(await b.page.getByLabel('Pull repository').isChecked(), true);
    assert.equal(await b.page.getByLabel('Push repository').isChecked(), false);
    await b.page.getByRole('button', { name: 'Create' }).click();
    await b.page.getByTestId('robot-secret').waitFor();
    robotName = (await b.page.getByTestId('robot-name').textContent()) ?? '';
    robotSecret = (await b.page.getByTestId('robot-secret').textContent()) ?? '';
    assert.equal(robotName, `robot$${PROJECT}+ci-pull`);
    assert.ok(robotSecret.length >= 8);
    await b.screenshot('10-robot-secret-once');
    await b.page.getByRole('button', { name: 'I have copied it' }).click();
    await b.page.getByTestId(`robot-${robotName}`).waitFor();
    assert.equal(await b.page.getByTestId(`robot-${robotName}`).locator('td').nth(3).textContent(), 'Never');
    // The secret is gone from the page once the dialog is closed, and never comes back.
    assert.equal((await b.page.content()).includes(robotSecret), false);
    await b.page.reload();
    await b.page.getByTestId(`robot-${robotName}`).waitFor();
    assert.equal((await b.page.content()).includes(robotSecret), false);

    const robotAuth = auth('robot', { username: robotName, password: robotSecret });
    const pulled = await pull(robotAuth, 10);
    assert.equal(pulled.code, 0, pulled.stderr);
    const pushed = await skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, { caFile: reg.caFile! }, 'dest-'),
      '--dest-authfile', robotAuth, busybox.ociRef, `docker://${reg.host}/${PROJECT}/robot-push:1`]);
    assert.notEqual(pushed.code, 0, 'a pull-only robot pushed');
    await b.screenshot('11-robots');
  });

  test('a robot description written as markup renders as plain text', { skip }, async () => {
    await b.page.getByRole('button', { name: '+ New robot account' }).click();
    await b.page.getByLabel('Name', { exact: true }).fill('markup');
    await b.page.getByLabel('Description').fill(XSS);
    await b.page.getByRole('button', { name: 'Create' }).click();
    await b.page.getByRole('button', { name: 'I have copied it' }).click();
    const row = b.page.getByTestId(`robot-robot$${PROJECT}+markup`);
    await row.waitFor();
    assert.equal(await row.getByTestId('robot-description').textContent(), XSS);
    assert.equal(await row.locator('img').count(), 0);
    assert.equal(await b.page.locator('img').count(), 0);
    assert.deepEqual(dialogs, [], 'an alert() ran');
    await b.screenshot('12-markup-as-text');
  });

  test('a robot can be disabled, enabled, given a new secret and deleted', { skip }, async () => {
    const row = () => b.page.getByTestId(`robot-${robotName}`);
    const pullAs = (secret: string, i: number) => pull(auth(`robot-${i}`, { username: robotName, password: secret }), 100 + i);
    await b.page.getByRole('button', { name: `Disable ${robotName}` }).click();
    await b.page.getByRole('button', { name: `Enable ${robotName}` }).waitFor();
    assert.equal(await row().locator('td').nth(1).textContent(), 'Disabled');
    assert.notEqual((await pullAs(robotSecret, 1)).code, 0, 'a disabled robot pulled');
    await b.screenshot('13-robot-disabled');
    await b.page.getByRole('button', { name: `Enable ${robotName}` }).click();
    await b.page.getByRole('button', { name: `Disable ${robotName}` }).waitFor();
    assert.equal((await pullAs(robotSecret, 2)).code, 0, 'an enabled robot could not pull');

    await b.page.getByRole('button', { name: `Refresh the secret of ${robotName}` }).click();
    await b.page.locator('dialog').getByRole('button', { name: 'Refresh' }).click();
    await b.page.getByTestId('robot-secret').waitFor();
    const fresh = (await b.page.getByTestId('robot-secret').textContent()) ?? '';
    assert.notEqual(fresh, robotSecret);
    await b.screenshot('14-robot-new-secret');
    await b.page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal((await b.page.content()).includes(fresh), false);
    assert.notEqual((await pullAs(robotSecret, 3)).code, 0, 'the old secret still works');
    assert.equal((await pullAs(fresh, 4)).code, 0, 'the new secret does not work');
    robotSecret = fresh;

    await b.page.getByRole('button', { name: `Delete robot$${PROJECT}+markup` }).click();
    await b.page.locator('dialog').getByRole('button', { name: 'Delete' }).click();
    await b.page.getByTestId(`robot-robot$${PROJECT}+markup`).waitFor({ state: 'detached' });
    const left = await reg.api('GET', `/robots?q=Level=project,ProjectID=${projectId}`);
    assert.deepEqual(left.body.map((r: { name: string }) => r.name), [robotName]);
  });

  test('the repositories page pages through a project and searches by name', { skip }, async () => {
    const create = await reg.api('POST', '/projects', { project_name: 'many', metadata: { public: 'false' } });
    assert.equal(create.status, 201, create.text);
    const names = Array.from({ length: 32 }, (_, i) => `app-${String(i).padStart(3, '0')}`);
    await seedRepositories(reg, 'many', names);
    const id = (await reg.api('GET', '/projects/many')).body.project_id;
    await b.page.goto(url(`/harbor/projects/${id}/repositories`));
    const range = b.page.getByTestId('pager-range');
    await b.page.getByTestId('repo-many/app-000').waitFor();
    assert.equal(await range.textContent(), '1 - 15 of 32');
    assert.equal(await b.page.locator('tbody tr').count(), 15);
    await b.page.getByRole('button', { name: 'Next ›' }).click();
    await b.page.getByTestId('repo-many/app-015').waitFor();
    assert.equal(await range.textContent(), '16 - 30 of 32');
    await b.screenshot('15-repositories-page-2');
    await b.page.getByLabel('Filter repositories by name').fill('app-03');
    await b.page.getByTestId('repo-many/app-030').waitFor();
    await pollUntil('the filter to apply', 3_000, async () => ((await range.textContent()) === '1 - 2 of 2' ? true : undefined));
    assert.deepEqual(await b.page.locator('tbody tr td:first-child').allTextContents(), ['many/app-030', 'many/app-031']);
    await b.page.getByLabel('Filter repositories by name').fill('nothing-like-this');
    await b.page.getByTestId('empty-state').waitFor();
    assert.match((await b.page.getByTestId('empty-state').textContent()) ?? '', /No repositories match “nothing-like-this”/);
    await b.screenshot('16-repositories-search');
  });

  test('a tag and then the artifact are deleted from the artifacts page', { skip }, async () => {
    const id = (await reg.api('GET', '/projects/many')).body.project_id;
    await b.page.goto(url(`/harbor/projects/${id}/repositories/app-001`));
    const digest = (await reg.api('GET', `/projects/many/repositories/app-001/artifacts`)).body[0].digest as string;
    const row = b.page.getByTestId(`artifact-${digest}`);
    await row.waitFor();
    await row.getByRole('button', { name: 'Delete tag 1' }).click();
    await b.page.locator('dialog').getByRole('button', { name: 'Delete tag' }).click();
    await row.getByText('untagged').waitFor();
    const tags = await reg.api('GET', `/projects/many/repositories/app-001/artifacts/${digest}/tags`);
    assert.deepEqual(tags.body, []);
    await b.screenshot('17-tag-deleted');
    await row.getByRole('button', { name: `Delete artifact ${digest}` }).click();
    await b.page.locator('dialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    const gone = await reg.api('GET', `/projects/many/repositories/app-001/artifacts/${digest}`);
    assert.equal(gone.status, 404);
    await b.screenshot('18-artifact-deleted');
  });

  test('a robot account cannot sign into the console', { skip }, async () => {
    await b.page.getByTestId('user-menu').click();
    await b.page.getByTestId('sign-out').click();
    await b.page.waitForURL(/\/account\/sign-in/);
    await b.page.getByLabel('Username').fill(robotName);
    await b.page.getByLabel('Password').fill(robotSecret);
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    const alert = b.page.locator('[role=alert]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'invalid user name or password');
    await b.screenshot('19-robot-cannot-sign-in');
  });

  test('a user who is not a member does not see the private project', { skip }, async () => {
    const u = await reg.api('POST', '/users', { ...OUTSIDER, email: 'outsider@example.test', realname: XSS });
    assert.equal(u.status, 201, u.text);
    await b.page.getByLabel('Username').fill(OUTSIDER.username);
    await b.page.getByLabel('Password').fill(OUTSIDER.password);
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.page.waitForURL(/\/harbor\/projects$/);
    await b.page.getByTestId('project-library').waitFor();
    assert.equal(await b.page.getByTestId(`project-${PROJECT}`).count(), 0);
    await b.screenshot('20-outsider-projects');
    // Typing the project's address shows the API's refusal, not the project.
    await b.page.goto(url(`/harbor/projects/${projectId}/repositories`));
    const alert = b.page.locator('[role=alert]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'forbidden');
    assert.equal(await b.page.getByTestId(`repo-${PROJECT}/${REPO}`).count(), 0);
    await b.screenshot('21-outsider-forbidden');
  });

  test('a member sees the project with the role the admin gave', { skip }, async () => {
    await createMember(reg, PROJECT, 'member1', 'Member1pass', 3);
    await b.page.getByTestId('user-menu').click();
    await b.page.getByTestId('sign-out').click();
    await b.page.waitForURL(/\/account\/sign-in/);
    await b.page.getByLabel('Username').fill('member1');
    await b.page.getByLabel('Password').fill('Member1pass');
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    const row = b.page.getByTestId(`project-${PROJECT}`);
    await row.waitFor();
    assert.equal(await row.locator('td').nth(2).textContent(), 'Guest');
    // A guest may not manage members: the API refuses and the console says so in place.
    await b.page.goto(url(`/harbor/projects/${projectId}/members`));
    await b.page.getByTestId('member-member1').waitFor();
    await b.page.getByLabel('User name').fill(OUTSIDER.username);
    await b.page.getByRole('button', { name: 'Add member' }).click();
    const alert = b.page.locator('main [role=alert]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), `Could not add ${OUTSIDER.username}: forbidden`);
    await b.screenshot('22-member-guest');
  });

  test('the projects page fits a narrow window', { skip }, async () => {
    await b.page.setViewportSize({ width: 390, height: 800 });
    await b.page.goto(url('/harbor/projects'));
    await b.page.getByTestId(`project-${PROJECT}`).waitFor();
    const overflow = (await b.page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
    await b.screenshot('23-narrow');
    await b.page.setViewportSize({ width: 1280, height: 800 });
  });

  test('the pages made no request outside the registry', { skip }, async () => {
    const origin = new URL(reg.url).origin;
    const outside = b.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
    assert.deepEqual(outside, []);
    assert.ok(b.requests.length > 20, `only ${b.requests.length} requests recorded`);
    await b.screenshot('24-final');
  });
});

