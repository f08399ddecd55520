// One project: a header with its access level and tabs for repositories, members and robot
// accounts; a repository's artifacts below its repositories tab.
import { call, list, repoPath, type Artifact, type Project, type Repository } from '../api.js';
import { h, replace, type Child } from '../dom.js';
import type { PageContext } from '../main.js';
import {
  PAGE_SIZE, codeWithCopy, confirmThen, emptyState, errorBox, errorSlot, fmtSize, fmtTime, messageOf, pager, registryHost, table,
} from '../ui.js';
import { membersTab } from './members.js';
import { robotsTab } from './robots.js';


/** Draws the project `id`'s `tab` (repositories, members, robots); `repo` opens a repository. */
export async function projectPage(ctx: PageContext, id: string, tab: string, repo: string): Promise<void> {
  let project: Project;
  try {
    project = (await call('GET', `/projects/${encodeURIComponent(id)}`)).data as Project;
  } catch (e) {
    replace(ctx.main, h('h1', {}, 'Project'), errorBox(messageOf(e)), h('p', {}, h('a', { href: '/harbor/projects', 'data-link': '' }, 'Back to projects')));
    return;
  }
  const base = `/harbor/projects/${project.project_id}`;
  const tabLink = (t: string, label: string) =>
    h('a', { href: `${base}/${t}`, 'data-link': '', class: 'tab', 'aria-current': t === tab ? 'page' : undefined }, label);
  const content = h('section', { class: 'tab-body' });
  replace(ctx.main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/harbor/projects', 'data-link': '' }, 'Projects'), ' / ', project.name),
    h('div', { class: 'page-head' },
      h('h1', {}, project.name, ' ', h('span', { class: `badge ${project.metadata.public === 'true' ? 'badge-public' : 'badge-private'}` },
        project.metadata.public === 'true' ? 'Public' : 'Private'))),
    h('nav', { class: 'tabs', 'aria-label': 'Project' }, tabLink('repositories', 'Repositories'), tabLink('members', 'Members'), tabLink('robots', 'Robot accounts')),
    content);
  document.title = `${project.name} - berth registry`;
  if (tab === 'repositories' && repo) await artifactsTab(content, project, repo);
  else if (tab === 'repositories') await repositoriesTab(content, project);
  else if (tab === 'members') await membersTab(content, project);
  else if (tab === 'robots') await robotsTab(content, project);
  else replace(content, errorBox(`No such tab: ${tab}`));
}

/** The commands that put an image into this project, for empty states. */
function pushCommands(project: Project): Child[] {
  const host = registryHost();
  return [
    h('p', {}, 'Push an image with skopeo (sign in with your user name or a robot account that may push):'),
    codeWithCopy(`skopeo copy oci:./image:latest docker://${host}/${project.name}/REPOSITORY:TAG`, 'Copy skopeo command', 'push-skopeo'),
    h('p', {}, 'or with docker:'),
    codeWithCopy(`docker login ${host}`, 'Copy docker login command'),
    codeWithCopy(`docker tag SOURCE_IMAGE[:TAG] ${host}/${project.name}/REPOSITORY[:TAG]`, 'Copy docker tag command'),
    codeWithCopy(`docker push ${host}/${project.name}/REPOSITORY[:TAG]`, 'Copy docker push command', 'push-docker'),
  ];
}

/** Repositories of a project: name, artifact count, pull count, last update; paged and searchable. */
async function repositoriesTab(el: HTMLElement, project: Project): Promise<void> {
  const err = errorSlot();
  const body = h('div', { class: 'list-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const search = h('input', { type: 'search', placeholder: 'Filter by name', 'aria-label': 'Filter repositories by name' });
  let page = 1;
  const load = async () => {
    err.clear();
    try {
      const term = search.value.trim();
      const r = await list<Repository>(`/projects/${project.project_id}/repositories`, { page, page_size: PAGE_SIZE, q: term ? `name=~${term}` : undefined });
      if (r.total === 0) {
        replace(body, term
          ? emptyState(`No repositories match “${term}”.`, h('p', {}, 'Clear the filter to see every repository.'))
          : emptyState('No repositories yet.', pushCommands(project)));
        return;
      }
      const rows = r.items.map((x) => {
        const short = x.name.slice(project.name.length + 1);
        return h('tr', { 'data-testid': `repo-${x.name}` },
          h('td', {}, h('a', { href: `/harbor/projects/${project.project_id}/repositories/${encodeURIComponent(short)}`, 'data-link': '' }, x.name)),
          h('td', { class: 'num', 'data-testid': 'artifact-count' }, x.artifact_count),
          h('td', { class: 'num', 'data-testid': 'pull-count' }, x.pull_count),
          h('td', {}, fmtTime(x.update_time)));
      });
      replace(body, table('Repositories', ['Name', 'Artifacts', 'Pulls', 'Last modified time'], rows),
        pager(page, PAGE_SIZE, r.total, (n) => { page = n; void load(); }),
        h('details', { class: 'push-help' }, h('summary', {}, 'Push command'), pushCommands(project)));
    } catch (e) {
      replace(body);
      err.show(messageOf(e));
    }
  };
  let timer: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => { page = 1; void load(); }, 200);
  });
  replace(el,
    h('div', { class: 'toolbar' }, search, h('button', { type: 'button', class: 'btn', onclick: () => void load(), 'aria-label': 'Refresh repositories' }, '⟳ Refresh')),
    err.el, body);
  await load();
}

/** A repository's artifacts: digest, tags, size, push and pull times, pull command; delete. */
async function artifactsTab(el: HTMLElement, project: Project, short: string): Promise<void> {
  const full = `${project.name}/${short}`;
  const path = `/projects/${project.project_id}/repositories/${repoPath(short)}`;
  const err = errorSlot();
  const head = h('div', { class: 'repo-head' });
  const body = h('div', { class: 'list-body' }, h('p', { class: 'muted' }, 'Loading…'));
  let page = 1;
  const host = registryHost();

  const load = async () => {
    err.clear();
    try {
      const [repo, arts] = await Promise.all([
        call('GET', path).then((r) => r.data as Repository),
        list<Artifact>(`${path}/artifacts`, { page, page_size: PAGE_SIZE, with_tag: 'true' }),
      ]);
      replace(head,
        h('h2', {}, full),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Artifacts'), h('dd', { 'data-testid': 'repo-artifact-count' }, repo.artifact_count),
          h('dt', {}, 'Pulls'), h('dd', { 'data-testid': 'repo-pull-count' }, repo.pull_count),
          h('dt', {}, 'Last modified'), h('dd', {}, fmtTime(repo.update_time))));
      if (arts.total === 0) {
        replace(body, emptyState('No artifacts in this repository.', pushCommands(project)));
        return;
      }
      const rows = arts.items.map((a) => {
        const pull = `docker pull ${host}/${full}@${a.digest}`;
        const tags = a.tags ?? [];
        return h('tr', { 'data-testid': `artifact-${a.digest}` },
          h('td', {}, h('code', { title: a.digest }, `${a.digest.slice(0, 15)}…`)),
          h('td', {}, tags.length === 0 ? h('span', { class: 'muted' }, 'untagged') : h('ul', { class: 'chips' }, tags.map((t) =>
            h('li', { class: 'chip' }, h('span', {}, t.name), h('button', {
              type: 'button', class: 'chip-x', 'aria-label': `Delete tag ${t.name}`, title: `Delete tag ${t.name}`,
              onclick: () => void removeTag(a, t.name),
            }, '×'))))),
          h('td', { class: 'num' }, fmtSize(a.size)),
          h('td', {}, fmtTime(a.push_time)),
          h('td', {}, fmtTime(a.pull_time)),
          h('td', {}, codeWithCopy(pull, `Copy pull command for ${a.digest}`)),
          h('td', { class: 'actions' }, h('button', {
            type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete artifact ${a.digest}`,
            onclick: () => void removeArtifact(a),
          }, 'Delete')));
      });
      replace(body, table('Artifacts', ['Digest', 'Tags', 'Size', 'Push time', 'Last pull time', 'Pull command', 'Actions'], rows),
        pager(page, PAGE_SIZE, arts.total, (n) => { page = n; void load(); }));
    } catch (e) {
      replace(body);
      err.show(messageOf(e));
    }
  };
  const removeTag = async (a: Artifact, tag: string) => {
    await confirmThen(err, { title: 'Delete tag', message: `Delete the tag ${tag} from ${full}? The artifact stays.`, action: 'Delete tag' }, `Could not delete tag ${tag}`, async () => {
      await call('DELETE', `${path}/artifacts/${encodeURIComponent(a.digest)}/tags/${encodeURIComponent(tag)}`);
      await load();
    });
  };
  const removeArtifact = async (a: Artifact) => {
    await confirmThen(err, { title: 'Delete artifact', message: `Delete ${full}@${a.digest} and all its tags?`, action: 'Delete' }, 'Could not delete the artifact', async () => {
      await call('DELETE', `${path}/artifacts/${encodeURIComponent(a.digest)}`);
      await load();
    });
  };
  replace(el,
    h('nav', { class: 'crumbs', 'aria-label': 'Repository' }, h('a', { href: `/harbor/projects/${project.project_id}/repositories`, 'data-link': '' }, 'Repositories'), ' / ', short),
    head,
    h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn', onclick: () => void load(), 'aria-label': 'Refresh artifacts' }, '⟳ Refresh')),
    err.el, body);
  await load();
}
