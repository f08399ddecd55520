// Sign in: POST /c/login with the form fields `principal` and `password` (Harbor's). Robot
// accounts are refused by the API (as in Harbor), and its message is shown in place.
import { login } from '../api.js';
import { h, replace } from '../dom.js';
import { errorSlot, field, messageOf } from '../ui.js';

/** Draws the sign-in page into `root`; `done(target)` goes on after a successful sign-in. */
export function signInPage(root: HTMLElement, done: (target: string) => void): void {
  document.title = 'Sign in - berth registry';
  const err = errorSlot();
  const principal = h('input', { name: 'principal', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const form = h('form', { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⚓'), ' berth registry'),
    field('Username', principal),
    field('Password', password),
    err.el,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.clear();
    submit.disabled = true;
    try {
      await login(principal.value.trim(), password.value);
      const redirect = new URLSearchParams(location.search).get('redirect') ?? '';
      // Only local paths: an attacker's link must not send a person elsewhere after sign-in.
      done(/^\/(?!\/)/.test(redirect) ? redirect : '/harbor/projects');
    } catch (x) {
      err.show(messageOf(x));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, h('main', { class: 'center', id: 'main' }, form));
  principal.focus();
}
