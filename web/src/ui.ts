// Shared pieces of the console's pages: formatting, tables, paging, copy buttons, dialogs and
// in-place error messages.
import { h, replace, type Child } from './dom.js';

/** Rows per page of every list (Harbor's console default). */
export const PAGE_SIZE = 15;

/** A time from the API for people; Harbor's zero time (0001-01-01) means never. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso || iso.startsWith('0001-01-01')) return 'Never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A byte count for people (binary units, as Harbor's console shows sizes). */
export function fmtSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** The registry's host as clients write it in image references. */
export function registryHost(): string {
  return location.host;
}

/** An error message shown in place (announced to screen readers). */
export function errorBox(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}

/** A slot that shows one error message at a time in place, or nothing. */
export function errorSlot(): { el: HTMLElement; show(message: string): void; clear(): void } {
  const el = h('div', { class: 'error-slot' });
  return {
    el,
    show: (m) => replace(el, errorBox(m)),
    clear: () => replace(el),
  };
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP consoles have no async clipboard: copy through a hidden text area.
  const ta = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy failed');
}

/** A button that copies `text` and says so. */
export function copyButton(text: string, label = 'Copy'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `${label}` }, 'Copy');
  b.addEventListener('click', () => {
    copyText(text).then(
      () => replace(b, 'Copied'),
      () => replace(b, 'Copy failed: select and copy'),
    ).finally(() => setTimeout(() => replace(b, 'Copy'), 2000));
  });
  return b;
}

/** A command or secret in a monospace box with a copy button. */
export function codeWithCopy(text: string, label: string, testId?: string): HTMLElement {
  return h('div', { class: 'code-copy' }, h('code', { 'data-testid': testId }, text), copyButton(text, label));
}

/** A table inside a horizontally scrolling wrapper (narrow windows). */
export function table(caption: string, headers: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

/** Paging controls: "1 - 15 of 1000" with previous and next buttons. */
export function pager(page: number, pageSize: number, total: number, go: (page: number) => void): HTMLElement {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('span', { class: 'pager-range', 'data-testid': 'pager-range' }, `${first} - ${last} of ${total}`),
    h('button', { type: 'button', class: 'btn btn-small', disabled: page <= 1, onclick: () => go(page - 1) }, '‹ Previous'),
    h('span', { class: 'pager-page' }, `Page ${page} of ${pages}`),
    h('button', { type: 'button', class: 'btn btn-small', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next ›'));
}

/** A message for an empty list and what to do next. */
export function emptyState(title: string, ...body: Child[]): HTMLElement {
  return h('div', { class: 'empty', 'data-testid': 'empty-state' }, h('h3', {}, title), body);
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes). Removed on close. */
export function openDialog(title: string, build: (close: () => void) => Child[]): HTMLDialogElement {
  const heading = h('h2', { id: `dlg-${Math.random().toString(36).slice(2)}` }, title);
  const dlg = h('dialog', { 'aria-labelledby': heading.id, class: 'dialog' });
  const close = () => {
    dlg.close();
  };
  dlg.addEventListener('close', () => dlg.remove());
  replace(dlg, heading, build(close));
  document.body.appendChild(dlg);
  dlg.showModal();
  const first = dlg.querySelector<HTMLElement>('input, textarea, select, button');
  first?.focus();
  return dlg;
}

/** Asks to confirm a destructive action; resolves true when confirmed. */
export function confirmDialog(title: string, message: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const dlg = openDialog(title, (close) => [
      h('p', {}, message),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
        h('button', { type: 'button', class: 'btn btn-danger', onclick: () => { answered = true; close(); } }, action)),
    ]);
    dlg.addEventListener('close', () => resolve(answered));
  });
}

/**
 * Asks to confirm a destructive action (confirmDialog); once confirmed runs `act`, and shows
 * `failure: <message>` in `err` when it throws. Nothing happens when the user cancels.
 */
export async function confirmThen(
  err: { show(message: string): void },
  confirm: { title: string; message: string; action: string },
  failure: string,
  act: () => Promise<void>,
): Promise<void> {
  if (!(await confirmDialog(confirm.title, confirm.message, confirm.action))) return;
  try {
    await act();
  } catch (e) {
    err.show(`${failure}: ${messageOf(e)}`);
  }
}

/** A labelled form field. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}
