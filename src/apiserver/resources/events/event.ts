// events.k8s.io/v1 Event, stored as core/v1 Event (k/k pkg/registry/events/rest,
// pkg/apis/events/v1/conversion.go): renamed fields are converted on the way in and out, and
// create requires the new-style fields (ValidateEventCreate for events.k8s.io).
import type { FieldError } from '../../../api/field-errors.js';
import { validateMetaTransition } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { EVENT_COLUMNS, eventCells, eventFieldLabels, validateEventCommon } from '../core/event.js';
import { ALL_VERBS } from '../common/util.js';

type Obj = Record<string, any>;

// events.k8s.io/v1 name -> core/v1 name.
const RENAMES: Array<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

function rename(obj: KubeObject, pairs: Array<[string, string]>, apiVersion: string): KubeObject {
  const out: Obj = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out as KubeObject;
}

/** events.k8s.io/v1 -> core/v1. */
export function eventToCore(obj: KubeObject): KubeObject {
  return rename(obj, RENAMES, 'v1');
}

/** core/v1 -> events.k8s.io/v1. */
export function eventFromCore(obj: KubeObject): KubeObject {
  return rename(obj, RENAMES.map(([a, b]) => [b, a]), 'events.k8s.io/v1');
}

function isZero(ts: unknown): boolean {
  return typeof ts !== 'string' || ts === '' || Number.isNaN(Date.parse(ts)) || Date.parse(ts) <= Date.parse('0001-01-01T00:00:00Z');
}

/**
 * ValidateEventCreate for events.k8s.io/v1 writes: the new-style fields are required and the
 * deprecated ones must be unset. Paths are upstream's (it validates the internal object).
 */
export function validateNewStyleEvent(obj: KubeObject): FieldError[] {
  const e = eventToCore(obj) as Obj;
  const errs: FieldError[] = [];
  if (isZero(e.eventTime)) errs.push({ type: 'Required', field: 'eventTime' });
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push({ type: 'Invalid', field: 'type', badValue: '', detail: `has invalid value: ${String(e.type ?? '')}` });
  if (!isZero(e.firstTimestamp)) errs.push({ type: 'Invalid', field: 'firstTimestamp', badValue: '', detail: 'needs to be unset' });
  if (!isZero(e.lastTimestamp)) errs.push({ type: 'Invalid', field: 'lastTimestamp', badValue: '', detail: 'needs to be unset' });
  if (e.count) errs.push({ type: 'Invalid', field: 'count', badValue: '', detail: 'needs to be unset' });
  if (e.source?.component || e.source?.host) errs.push({ type: 'Invalid', field: 'source', badValue: '', detail: 'needs to be unset' });
  if (e.series) {
    if ((e.series.count ?? 0) < 2) errs.push({ type: 'Invalid', field: 'series.count', badValue: '', detail: 'should be at least 2' });
    if (isZero(e.series.lastObservedTime)) errs.push({ type: 'Required', field: 'series.lastObservedTime' });
  }
  return errs;
}

/**
 * The field selector labels of events.k8s.io/v1: upstream's field label conversion for this
 * group (k/k pkg/apis/events/v1 conversion) names the stored fields by their new names.
 */
export function eventsV1FieldLabels(core: KubeObject): Record<string, string> {
  const l = eventFieldLabels(core);
  const out: Record<string, string> = { reason: l.reason, reportingController: l.reportingComponent, type: l.type };
  for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) out[`regarding.${f}`] = l[`involvedObject.${f}`];
  return out;
}

/** The events.k8s.io/v1 Event strategy; the core converts with `storedAs` around every call. */
export function eventsV1Strategy(): ResourceStrategy {
  return {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    verbs: ALL_VERBS,
    storedAs: { group: '', resource: 'events', toStorage: eventToCore, fromStorage: eventFromCore },
    validate: (obj) => [...validateEventCommon(eventToCore(obj), 'reportingController'), ...validateNewStyleEvent(obj)],
    validateUpdate: (obj, old) => [...validateMetaTransition(obj.metadata, old.metadata), ...validateEventCommon(eventToCore(obj), 'reportingController')],
    table: { columns: EVENT_COLUMNS, cells: (obj, now) => eventCells(obj.involvedObject || !obj.regarding ? obj : eventToCore(obj), now) },
    fieldLabels: (obj) => eventsV1FieldLabels(obj.involvedObject || !obj.regarding ? obj : eventToCore(obj)),
  };
}
