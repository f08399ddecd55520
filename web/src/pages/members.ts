// A project's members and their roles: add a user with a role, change a role, remove. What the
// caller may do is the API's decision; refusals are shown in place.
import { call, list, type Member, type Project } from '../api.js';
import { h, replace } from '../dom.js';
import { confirmThen, emptyState, errorSlot, field, messageOf, table } from '../ui.js';
import { ROLE_NAMES } from './projects.js';

const ROLE_ORDER = [1, 4, 2, 3, 5];

function roleSelect(current: number, label: string): HTMLSelectElement {
  return h('select', { 'aria-label': label }, ROLE_ORDER.map((id) => h('option', { value: id, selected: id === current }, ROLE_NAMES[id])));
}

/** Draws the members tab of a project. */
export async function membersTab(el: HTMLElement, project: Project): Promise<void> {
  const err = errorSlot();
  const body = h('div', { class: 'list-body' }, h('p', { class: 'muted' }, 'Loading…'));

  const load = async () => {
    try {
      const r = await list<Member>(`/projects/${project.project_id}/members`, { page: 1, page_size: 100 });
      if (r.total === 0) {
        replace(body, emptyState('No members.', h('p', {}, 'Add a user below to give them a role in this project.')));
        return;
      }
      const rows = r.items.map((m) => {
        const sel = roleSelect(m.role_id, `Role of ${m.entity_name}`);
        sel.addEventListener('change', async () => {
          err.clear();
          try {
            await call('PUT', `/projects/${project.project_id}/members/${m.id}`, { role_id: Number(sel.value) });
            await load();
          } catch (e) {
            sel.value = String(m.role_id);
            err.show(`Could not change the role of ${m.entity_name}: ${messageOf(e)}`);
          }
        });
        return h('tr', { 'data-testid': `member-${m.entity_name}` },
          h('td', {}, m.entity_name),
          h('td', {}, 'User'),
          h('td', {}, sel),
          h('td', { class: 'actions' }, h('button', {
            type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Remove ${m.entity_name}`,
            onclick: async () => {
              err.clear();
              await confirmThen(err, { title: 'Remove member', message: `Remove ${m.entity_name} from ${project.name}?`, action: 'Remove' }, `Could not remove ${m.entity_name}`, async () => {
                await call('DELETE', `/projects/${project.project_id}/members/${m.id}`);
                await load();
              });
            },
          }, 'Remove')));
      });
      replace(body, table('Members', ['Name', 'Member type', 'Role', 'Actions'], rows));
    } catch (e) {
      replace(body);
      err.show(messageOf(e));
    }
  };

  const username = h('input', { name: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const role = roleSelect(2, 'Role');
  const add = h('form', { class: 'inline-form', 'aria-label': 'Add member' },
    field('User name', username), field('Role', role),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add member'));
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.clear();
    try {
      await call('POST', `/projects/${project.project_id}/members`, { role_id: Number(role.value), member_user: { username: username.value.trim() } });
      username.value = '';
      await load();
    } catch (x) {
      err.show(`Could not add ${username.value.trim()}: ${messageOf(x)}`);
    }
  });
  replace(el, add, err.el, body);
  await load();
}
