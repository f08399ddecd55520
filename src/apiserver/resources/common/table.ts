// Shared pieces of the server-side Table printers (k/k pkg/printers/internalversion/printers.go,
// reference/printer-columns.md §2): column definitions, label and selector strings, short lists.
import type { TableColumn } from '../types.js';
import { ageSince } from '../../../api/duration.js';

/** A column definition; `format` is `name` only on the name column. */
export function column(name: string, type: TableColumn['type'], description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

/** The leading Name column every printer has. */
export const NAME_COLUMN = column('Name', 'string', "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0, 'name');

/** The Age column (a HumanDuration string computed at response time). */
export const AGE_COLUMN = column('Age', 'string', "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");

/** The AGE cell of an object. */
export function ageCell(obj: { metadata?: { creationTimestamp?: string } }, now: Date): string {
  return ageSince(obj.metadata?.creationTimestamp, now);
}

/** labels.FormatLabels: `k=v` pairs sorted, joined with `,`; `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).sort();
  return pairs.length ? pairs.join(',') : '<none>';
}

/** A metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/**
 * The selector string of LabelSelectorAsSelector(...).String(): requirements sorted by key,
 * `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Undefined when the selector cannot convert;
 * `''` for a nil or empty selector.
 */
export function selectorString(sel: LabelSelector | undefined | null): string | undefined {
  if (!sel) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (vals.length === 0) return undefined;
        reqs.push({ key: e.key, text: `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${vals.join(',')})` });
        break;
      case 'Exists':
        if (vals.length) return undefined;
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        if (vals.length) return undefined;
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: `<none>` for empty, `<error>` when it cannot convert. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** At most three items joined with `,`, then ` + N more...` (formatEndpoints and friends). */
export function firstThree(items: string[]): string {
  if (items.length <= 3) return items.join(',');
  return `${items.slice(0, 3).join(',')} + ${items.length - 3} more...`;
}

/** Container names and images of a pod template, joined with `,` (wide columns). */
export function containersAndImages(spec: { containers?: Array<{ name?: string; image?: string }> } | undefined): [string, string] {
  const cs = spec?.containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}
