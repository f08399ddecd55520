// Label and field selectors for list, watch and deletecollection, built on api/selectors. Field
// selectors accept metadata.name, metadata.namespace and the kind's own field labels; anything
// else is refused as upstream refuses it (400, `field label not supported: <field>`).
import { SelectorError, listSelectorErrorMessage, parseFieldSelector, parseLabelSelector, unsupportedFieldLabelMessage } from '../api/selectors.js';
import type { KubeObject } from './resources/types.js';
import type { FilterFactory } from './handler.js';
import type { ObjectFilter, ResourceHandler } from './registry.js';
import { badRequest } from './status.js';

/** `/v1, Resource=pods` or `apps/v1, Resource=deployments`, as upstream names a resource in selector errors. */
function resourceName(h: ResourceHandler): string {
  const s = h.strategy;
  return `${s.group}/${s.version}, Resource=${s.resource}`;
}

/** The field labels a kind supports (probed once per kind). */
const supportedCache = new WeakMap<ResourceHandler, Set<string>>();
function supportedFields(h: ResourceHandler): Set<string> {
  let set = supportedCache.get(h);
  if (!set) {
    set = new Set(['metadata.name', 'metadata.namespace']);
    let probe: Record<string, string>;
    try {
      probe = h.strategy.fieldLabels?.({ metadata: {} }) ?? {};
    } catch {
      probe = {};
    }
    for (const k of Object.keys(probe)) set.add(k);
    supportedCache.set(h, set);
  }
  return set;
}

/** The field label map of one object. */
export function fieldLabels(h: ResourceHandler, obj: KubeObject): Record<string, string> {
  return {
    'metadata.name': obj.metadata.name ?? '',
    'metadata.namespace': obj.metadata.namespace ?? '',
    ...(h.strategy.fieldLabels?.(obj) ?? {}),
  };
}

/** The FilterFactory the server uses; throws a 400 ApiError with upstream's wording. */
export const selectorFilters: FilterFactory = (h, labelSelector, fieldSelector) => {
  const fail = (why: string): never => {
    throw badRequest(listSelectorErrorMessage(resourceName(h), labelSelector, fieldSelector, why));
  };
  let labels;
  let fields;
  try {
    labels = parseLabelSelector(labelSelector);
    fields = parseFieldSelector(fieldSelector);
  } catch (e) {
    if (e instanceof SelectorError) return fail(e.message);
    throw e;
  }
  const supported = supportedFields(h);
  for (const r of fields.requirements) if (!supported.has(r.field)) fail(unsupportedFieldLabelMessage(r.field));
  const noLabels = labels.empty();
  const noFields = fields.empty();
  const filter: ObjectFilter = {
    empty: noLabels && noFields,
    matches(obj) {
      if (!noLabels && !labels.matches(obj.metadata.labels)) return false;
      return noFields || fields.matches(fieldLabels(h, obj));
    },
  };
  return filter;
};
