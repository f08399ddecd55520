// core/v1 Event (k/k pkg/apis/core/validation/events.go, pkg/registry/core/event/strategy.go,
// printEvent in printers.go). events.k8s.io/v1 Events share this storage (events/event.ts).
import type { FieldError } from '../../../api/field-errors.js';
import { ageSince } from '../../../api/duration.js';
import { isQualifiedName, nameIsDNSSubdomain, validateMetaTransition, validateObjectMeta } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { column } from '../common/table.js';
import { ALL_VERBS } from '../common/util.js';

type Obj = Record<string, any>;

function isZero(ts: unknown): boolean {
  if (typeof ts !== 'string' || ts === '') return true;
  const t = Date.parse(ts);
  return Number.isNaN(t) || t <= Date.parse('0001-01-01T00:00:00Z');
}

/**
 * legacyValidateEvent: core/v1 writes. Old-style events (no eventTime) must sit in their
 * object's namespace (or `default` for cluster-scoped objects); new-style ones also need the
 * reporting fields. `reportingField` is how the request's group names reportingController.
 */
export function validateEventCommon(obj: KubeObject, reportingField = 'reportingComponent'): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain);
  const io = (obj.involvedObject ?? {}) as Obj;
  const ns = obj.metadata.namespace ?? '';
  const mismatch = (): FieldError => ({ type: 'Invalid', field: 'involvedObject.namespace', badValue: io.namespace ?? '', detail: 'does not match event.namespace' });
  if (isZero(obj.eventTime)) {
    if (!io.namespace) {
      if (ns !== '' && ns !== 'default') errs.push(mismatch());
    } else if (ns !== io.namespace) errs.push(mismatch());
    return errs;
  }
  if (!io.namespace && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch());
  const limited = (field: string, v: unknown, max: number) => {
    if (!v) errs.push({ type: 'Required', field });
    else if (String(v).length > max) errs.push({ type: 'Invalid', field, badValue: '', detail: `can have at most ${max} characters` });
  };
  if (!obj.reportingComponent) errs.push({ type: 'Required', field: reportingField });
  else for (const m of isQualifiedName(obj.reportingComponent)) errs.push({ type: 'Invalid', field: reportingField, badValue: obj.reportingComponent, detail: m });
  limited('reportingInstance', obj.reportingInstance, 128);
  limited('action', obj.action, 128);
  limited('reason', obj.reason, 128);
  if (String(obj.message ?? '').length > 1024) errs.push({ type: 'Invalid', field: 'message', badValue: '', detail: 'can have at most 1024 characters' });
  return errs;
}

/** FIRST SEEN: since firstTimestamp, else eventTime, else `<unknown>`. */
function firstSeen(e: Obj, now: Date): string {
  if (!isZero(e.firstTimestamp)) return ageSince(e.firstTimestamp, now);
  return ageSince(isZero(e.eventTime) ? undefined : e.eventTime, now);
}

/** The cells printEvent computes from a core/v1 Event. */
export function eventCells(e: KubeObject, now: Date): unknown[] {
  const fs = firstSeen(e, now);
  let lastSeen: string;
  if (e.series) lastSeen = ageSince(isZero(e.series.lastObservedTime) ? undefined : e.series.lastObservedTime, now);
  else if (!isZero(e.lastTimestamp)) lastSeen = ageSince(e.lastTimestamp, now);
  else lastSeen = fs;
  const io = (e.involvedObject ?? {}) as Obj;
  const kind = String(io.kind ?? '').toLowerCase();
  const object = io.name ? `${kind}/${io.name}` : kind;
  const component = e.source?.component || e.reportingComponent || '';
  const host = e.source?.host || e.reportingInstance || '';
  const count = e.series ? e.series.count ?? 0 : e.count ? e.count : 1;
  return [lastSeen, e.type ?? '', e.reason ?? '', object, io.fieldPath ?? '', host ? `${component}, ${host}` : component, String(e.message ?? '').trim(), fs, count, e.metadata.name ?? ''];
}

/** Event table columns, shared by both groups. The name column comes last, wide only. */
export const EVENT_COLUMNS = [
  column('Last Seen', 'string', 'The last time the event was seen'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
  column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
  column('Object', 'string', 'The object that this event is about. Mapped from the involvedObject field'),
  column('Subobject', 'string', 'The subobject of the event', 1),
  column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column('First Seen', 'string', 'The first time the event was seen', 1),
  column('Count', 'string', 'The number of times this event has occurred.', 1),
  column('Name', 'string', 'The name of the event', 1, 'name'),
];

/** The field selector labels of stored (core/v1) events. */
export function eventFieldLabels(e: KubeObject): Record<string, string> {
  const io = (e.involvedObject ?? {}) as Obj;
  return {
    'involvedObject.kind': io.kind ?? '',
    'involvedObject.namespace': io.namespace ?? '',
    'involvedObject.name': io.name ?? '',
    'involvedObject.uid': io.uid ?? '',
    'involvedObject.apiVersion': io.apiVersion ?? '',
    'involvedObject.resourceVersion': io.resourceVersion ?? '',
    'involvedObject.fieldPath': io.fieldPath ?? '',
    reason: e.reason ?? '',
    reportingComponent: e.reportingComponent ?? '',
    source: e.source?.component ?? '',
    type: e.type ?? '',
  };
}

/** The core/v1 Event strategy. */
export function eventStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    verbs: ALL_VERBS,
    validate: (obj) => validateEventCommon(obj),
    validateUpdate: (obj, old) => [...validateMetaTransition(obj.metadata, old.metadata), ...validateEventCommon(obj)],
    table: { columns: EVENT_COLUMNS, cells: eventCells },
    fieldLabels: eventFieldLabels,
  };
}
