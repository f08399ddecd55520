// The console's entry: resolves the signed-in user, routes the path to a page and draws the
// shell (header, user menu). Routes (history API; the registry answers each with index.html):
//   /account/sign-in
//   /harbor/projects
//   /harbor/projects/<id>/repositories[/<repository, URL-encoded>]
//   /harbor/projects/<id>/members
//   /harbor/projects/<id>/robots
import './styles.css';
import { ApiFailure, call, logout, prefetch, type User } from './api.js';
import { h, replace } from './dom.js';
import { PAGE_SIZE, errorBox, messageOf } from './ui.js';
import { signInPage } from './pages/sign-in.js';
import { projectsPage } from './pages/projects.js';
import { projectPage } from './pages/project.js';

/** What a page gets: the signed-in user, its container and navigation. */
export interface PageContext {
  user: User;
  main: HTMLElement;
  navigate(path: string): void;
  /** Re-renders the current route (fresh data from the API). */
  refresh(): void;
}

const root = document.getElementById('app')!;
let user: User | undefined;
let renderSeq = 0;

function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

/** Sends the person to sign in, remembering where they were going. */
function toSignIn(): void {
  user = undefined;
  const here = location.pathname + location.search;
  const target = here.startsWith('/account/') ? '/account/sign-in' : `/account/sign-in?redirect=${encodeURIComponent(here)}`;
  navigate(target, true);
}

function userMenu(u: User): HTMLElement {
  const menu = h('div', { class: 'menu', role: 'menu', hidden: true, id: 'user-menu' },
    h('p', { class: 'menu-note' }, 'Signed in as ', h('strong', {}, u.username), u.sysadmin_flag ? ' (system admin)' : ''),
    h('button', {
      type: 'button', role: 'menuitem', class: 'menu-item', 'data-testid': 'sign-out',
      onclick: async () => {
        await logout();
        user = undefined;
        navigate('/account/sign-in', true);
      },
    }, 'Sign out'));
  const button = h('button', { type: 'button', class: 'user-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'user-menu', 'data-testid': 'user-menu' }, u.username, ' ▾');
  const setOpen = (open: boolean) => {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector<HTMLElement>('[role=menuitem]')?.focus();
  };
  button.addEventListener('click', () => setOpen(Boolean(menu.hidden)));
  const wrap = h('div', { class: 'user' }, button, menu);
  wrap.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !menu.hidden) {
      setOpen(false);
      button.focus();
    }
  });
  document.addEventListener('click', (e) => {
    if (!wrap.contains(e.target as Node)) setOpen(false);
  });
  return wrap;
}

function shell(u: User): HTMLElement {
  const main = h('main', { id: 'main', tabindex: '-1' });
  replace(root,
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('a', { href: '/harbor/projects', class: 'brand', 'data-link': '' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⚓'), 'berth registry'),
      h('nav', { class: 'topnav', 'aria-label': 'Main' }, h('a', { href: '/harbor/projects', 'data-link': '' }, 'Projects')),
      userMenu(u)),
    main);
  return main;
}

async function currentUser(): Promise<User | undefined> {
  try {
    return (await call('GET', '/users/current')).data as User;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return undefined;
    throw e;
  }
}

/** The GETs the page at `path` makes first (same paths and query order as the pages build). */
function earlyRequests(path: string): string[] {
  const first = `page=1&page_size=${PAGE_SIZE}`;
  if (path === '/harbor/projects') return [`/projects?${first}`];
  const m = /^\/harbor\/projects\/(\d+)\/(repositories|robots|members)$/.exec(path);
  if (!m) return [];
  const [, id, tab] = m;
  if (tab === 'repositories') return [`/projects/${id}`, `/projects/${id}/repositories?${first}`];
  if (tab === 'robots') return [`/projects/${id}`, `/robots?q=${encodeURIComponent(`Level=project,ProjectID=${id}`)}&${first}`];
  return [`/projects/${id}`];
}

async function render(): Promise<void> {
  const seq = ++renderSeq;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  try {
    if (path === '/account/sign-in') {
      user = undefined;
      signInPage(root, (target) => navigate(target, true));
      return;
    }
    prefetch(earlyRequests(path));
    user = await currentUser();
    if (seq !== renderSeq) return;
    if (!user) return toSignIn();
    if (path === '/' || path === '/harbor') return navigate('/harbor/projects', true);
    const main = shell(user);
    const ctx: PageContext = { user, main, navigate: (p) => navigate(p), refresh: () => void render() };
    const parts = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    if (parts[0] === 'harbor' && parts[1] === 'projects' && parts.length === 2) {
      document.title = 'Projects - berth registry';
      await projectsPage(ctx);
    } else if (parts[0] === 'harbor' && parts[1] === 'projects' && parts.length >= 4) {
      await projectPage(ctx, parts[2], parts[3], parts.slice(4).join('/'));
    } else {
      replace(main, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/harbor/projects', 'data-link': '' }, 'Go to projects')));
    }
    // Keyboard users continue from the new page's content, not from the top of the document.
    if (seq === renderSeq && (document.activeElement === document.body || !document.activeElement)) main.focus({ preventScroll: true });
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return toSignIn();
    replace(root, errorBox(`The console could not load: ${messageOf(e)}`));
  }
}

// Same-origin links marked data-link navigate inside the app (they stay real links: keyboard,
// middle click and "open in new tab" work).
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest?.('a[data-link]');
  if (!a) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
});
window.addEventListener('popstate', () => void render());
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof ApiFailure && e.reason.status === 401) toSignIn();
});
void render();
