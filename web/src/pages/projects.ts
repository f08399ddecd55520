// Projects: name, access level, the caller's role, repository count, creation time; create
// and delete. Lists only what the API returns for the caller (private projects of which the
// caller is not a member are never sent).
import { call, list, type Project } from '../api.js';
import { h, replace } from '../dom.js';
import type { PageContext } from '../main.js';
import { PAGE_SIZE, confirmThen, emptyState, errorSlot, field, fmtTime, messageOf, openDialog, pager, table } from '../ui.js';

/** Harbor's role names by id (harbor src/common/const.go). */
export const ROLE_NAMES: Record<number, string> = { 1: 'Project Admin', 2: 'Developer', 3: 'Guest', 4: 'Maintainer', 5: 'Limited Guest' };

/** Draws the projects list into ctx.main. */
export async function projectsPage(ctx: PageContext): Promise<void> {
  const err = errorSlot();
  const body = h('div', { class: 'list-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const search = h('input', { type: 'search', placeholder: 'Filter by name', 'aria-label': 'Filter projects by name' });
  let page = 1;

  const load = async () => {
    try {
      const r = await list<Project>('/projects', { page, page_size: PAGE_SIZE, name: search.value.trim() || undefined });
      if (r.items.length === 0 && r.total > 0 && page > 1) {
        page = Math.ceil(r.total / PAGE_SIZE);
        return load();
      }
      if (r.total === 0) {
        replace(body, search.value.trim()
          ? emptyState('No projects match this filter.', h('p', {}, 'Clear the filter to see every project.'))
          : emptyState('No projects yet.', h('p', {}, 'Create one with “New project”, then push images into it.')));
        return;
      }
      const rows = r.items.map((p) => h('tr', { 'data-testid': `project-${p.name}` },
        h('td', {}, h('a', { href: `/harbor/projects/${p.project_id}/repositories`, 'data-link': '' }, p.name)),
        h('td', {}, p.metadata.public === 'true' ? 'Public' : 'Private'),
        h('td', {}, ROLE_NAMES[p.current_user_role_id] ?? (ctx.user.sysadmin_flag ? 'System admin' : '—')),
        h('td', { class: 'num', 'data-testid': 'repo-count' }, p.repo_count),
        h('td', {}, fmtTime(p.creation_time)),
        h('td', { class: 'actions' }, h('button', {
          type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete project ${p.name}`,
          onclick: () => void remove(p),
        }, 'Delete'))));
      replace(body, table('Projects', ['Project name', 'Access level', 'Role', 'Repositories', 'Creation time', 'Actions'], rows),
        pager(page, PAGE_SIZE, r.total, (n) => { page = n; void load(); }));
    } catch (e) {
      replace(body);
      err.show(messageOf(e));
    }
  };

  const remove = async (p: Project) => {
    err.clear();
    await confirmThen(err, { title: 'Delete project', message: `Delete the project ${p.name}? This cannot be undone.`, action: 'Delete' }, `Could not delete ${p.name}`, async () => {
      await call('DELETE', `/projects/${p.project_id}`);
      await load();
    });
  };

  const create = () => {
    const dErr = errorSlot();
    const name = h('input', { name: 'project_name', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const pub = h('input', { type: 'checkbox', name: 'public' });
    openDialog('New project', (close) => {
      const form = h('form', {},
        field('Project name', name, 'Lower case letters, digits and . _ - (Harbor’s rule).'),
        h('div', { class: 'field-inline' }, pub, h('label', { for: (pub.id = 'new-project-public') }, 'Public: anyone can pull and browse')),
        dErr.el,
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        dErr.clear();
        try {
          await call('POST', '/projects', { project_name: name.value.trim(), metadata: { public: String(pub.checked) } });
          close();
          await load();
        } catch (x) {
          dErr.show(messageOf(x));
        }
      });
      return [form];
    });
  };

  let timer: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => { page = 1; void load(); }, 200);
  });
  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Projects'),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: create }, '+ New project'),
        search,
        h('button', { type: 'button', class: 'btn', onclick: () => void load(), 'aria-label': 'Refresh projects' }, '⟳ Refresh'))),
    err.el, body);
  await load();
}
