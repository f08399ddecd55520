// A project's robot accounts: create with permissions and expiry (the secret is shown once,
// in the creation dialog, and never again), disable or enable, refresh the secret, delete.
import { call, list, type Project, type Robot, type RobotAccess } from '../api.js';
import { h, replace } from '../dom.js';
import { PAGE_SIZE, codeWithCopy, confirmThen, emptyState, errorSlot, field, fmtTime, messageOf, openDialog, pager, table } from '../ui.js';


/** The permissions the create form offers (Harbor's project robot access list). */
const CHOICES: { resource: string; action: string; label: string; checked?: boolean }[] = [
  { resource: 'repository', action: 'pull', label: 'Pull repository', checked: true },
  { resource: 'repository', action: 'push', label: 'Push repository' },
  { resource: 'repository', action: 'delete', label: 'Delete repository' },
  { resource: 'artifact', action: 'delete', label: 'Delete artifact' },
  { resource: 'tag', action: 'delete', label: 'Delete tag' },
];

function describeAccess(r: Robot): string {
  const byRes = new Map<string, string[]>();
  for (const p of r.permissions) for (const a of p.access) byRes.set(a.resource, [...(byRes.get(a.resource) ?? []), a.action]);
  return [...byRes].map(([res, acts]) => `${res}: ${acts.join(', ')}`).join('; ');
}

function expiry(r: Robot): string {
  if (r.expires_at === -1 || r.duration === -1) return 'Never';
  const t = new Date(r.expires_at * 1000);
  return t.getTime() < Date.now() ? `Expired ${fmtTime(t.toISOString())}` : fmtTime(t.toISOString());
}

/** Shows a robot's secret once; the dialog and the secret are gone when it closes. */
function showSecret(title: string, name: string, secret: string, after: () => void): void {
  const dlg = openDialog(title, (close) => [
    h('p', { class: 'warn' }, 'Copy the secret now: berth does not show it again. Use it as the password with the robot’s name, e.g. skopeo login -u NAME.'),
    h('div', { class: 'field' }, h('span', { class: 'label' }, 'Name'), codeWithCopy(name, 'Copy robot name', 'robot-name')),
    h('div', { class: 'field' }, h('span', { class: 'label' }, 'Secret'), codeWithCopy(secret, 'Copy secret', 'robot-secret')),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close() }, 'I have copied it')),
  ]);
  dlg.addEventListener('close', after);
}

/** Draws the robot accounts tab of a project. */
export async function robotsTab(el: HTMLElement, project: Project): Promise<void> {
  const err = errorSlot();
  const body = h('div', { class: 'list-body' }, h('p', { class: 'muted' }, 'Loading…'));
  let page = 1;

  const load = async () => {
    try {
      const r = await list<Robot>('/robots', { q: `Level=project,ProjectID=${project.project_id}`, page, page_size: PAGE_SIZE });
      if (r.total === 0) {
        replace(body, emptyState('No robot accounts.', h('p', {}, 'Create one with “New robot account” to give CI systems and clusters pull or push access without a person’s password.')));
        return;
      }
      const rows = r.items.map((x) => h('tr', { 'data-testid': `robot-${x.name}` },
        h('td', {}, h('code', {}, x.name)),
        h('td', {}, x.disable ? h('span', { class: 'badge badge-private' }, 'Disabled') : h('span', { class: 'badge badge-public' }, 'Enabled')),
        h('td', {}, describeAccess(x)),
        h('td', {}, expiry(x)),
        h('td', { class: 'desc', 'data-testid': 'robot-description' }, x.description),
        h('td', {}, fmtTime(x.creation_time)),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => void toggle(x), 'aria-label': `${x.disable ? 'Enable' : 'Disable'} ${x.name}` }, x.disable ? 'Enable' : 'Disable'),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => void refresh(x), 'aria-label': `Refresh the secret of ${x.name}` }, 'Refresh secret'),
          h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => void remove(x), 'aria-label': `Delete ${x.name}` }, 'Delete'))));
      replace(body, table('Robot accounts', ['Name', 'Status', 'Permissions', 'Expires', 'Description', 'Creation time', 'Actions'], rows),
        pager(page, PAGE_SIZE, r.total, (n) => { page = n; void load(); }));
    } catch (e) {
      replace(body);
      err.show(messageOf(e));
    }
  };

  const toggle = async (x: Robot) => {
    err.clear();
    try {
      await call('PUT', `/robots/${x.id}`, {
        name: x.name, level: x.level, duration: x.duration, description: x.description, disable: !x.disable, permissions: x.permissions,
      });
      await load();
    } catch (e) {
      err.show(`Could not ${x.disable ? 'enable' : 'disable'} ${x.name}: ${messageOf(e)}`);
    }
  };
  const refresh = async (x: Robot) => {
    err.clear();
    await confirmThen(err, { title: 'Refresh secret', message: `Give ${x.name} a new secret? The old secret stops working at once.`, action: 'Refresh' }, `Could not refresh the secret of ${x.name}`, async () => {
      const r = await call('PATCH', `/robots/${x.id}`, {});
      showSecret('New secret', x.name, (r.data as { secret: string }).secret, () => void load());
    });
  };
  const remove = async (x: Robot) => {
    err.clear();
    await confirmThen(err, { title: 'Delete robot account', message: `Delete ${x.name}? Anything using its secret loses access.`, action: 'Delete' }, `Could not delete ${x.name}`, async () => {
      await call('DELETE', `/robots/${x.id}`);
      await load();
    });
  };

  const create = () => {
    const dErr = errorSlot();
    const name = h('input', { name: 'name', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const description = h('textarea', { name: 'description', rows: 2 });
    const never = h('input', { type: 'checkbox', id: 'robot-never', name: 'never' });
    const days = h('input', { type: 'number', name: 'duration', min: 1, value: 30 });
    never.addEventListener('change', () => { days.disabled = never.checked; });
    const boxes = CHOICES.map((c) => {
      const box = h('input', { type: 'checkbox', id: `perm-${c.resource}-${c.action}`, checked: !!c.checked, 'data-resource': c.resource, 'data-action': c.action });
      return { c, box, el: h('div', { class: 'field-inline' }, box, h('label', { for: box.id }, c.label)) };
    });
    openDialog(`New robot account in ${project.name}`, (close) => {
      const form = h('form', {},
        field('Name', name, `The full name becomes robot$${project.name}+NAME.`),
        field('Description', description),
        h('fieldset', {}, h('legend', {}, 'Expiration'),
          h('div', { class: 'field-inline' }, never, h('label', { for: never.id }, 'Never expires')),
          field('Days until it expires', days)),
        h('fieldset', {}, h('legend', {}, `Permissions in ${project.name}`), boxes.map((b) => b.el)),
        dErr.el,
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        dErr.clear();
        const access: RobotAccess[] = boxes.filter((b) => b.box.checked).map((b) => ({ resource: b.c.resource, action: b.c.action }));
        try {
          const r = await call('POST', '/robots', {
            name: name.value.trim(), description: description.value, level: 'project', disable: false,
            duration: never.checked ? -1 : Number(days.value),
            permissions: [{ kind: 'project', namespace: project.name, access }],
          });
          close();
          const made = r.data as { name: string; secret: string };
          showSecret('Robot account created', made.name, made.secret, () => void load());
        } catch (x) {
          dErr.show(messageOf(x));
        }
      });
      return [form];
    });
  };

  replace(el,
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'btn btn-primary', onclick: create }, '+ New robot account'),
      h('button', { type: 'button', class: 'btn', onclick: () => void load(), 'aria-label': 'Refresh robot accounts' }, '⟳ Refresh')),
    err.el, body);
  await load();
}
