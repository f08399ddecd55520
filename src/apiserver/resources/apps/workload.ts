// What Deployments and ReplicaSets share (k/k pkg/apis/apps/validation: ValidateDeploymentSpec,
// ValidateReplicaSetSpec, ValidatePodTemplateSpecForReplicaSet; apimachinery
// ValidateLabelSelector): selector rules, the template checks, pod-template defaults, the
// strategy members and wide table columns of both printers.
import type { FieldError } from '../../../api/field-errors.js';
import { immutable, isDNS1123Label, isQualifiedName, isValidLabelValue, nameIsDNSSubdomain, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy, StrategyContext, TableColumn } from '../types.js';
import { ALL_VERBS, deepEqual } from '../common/util.js';
import { defaultPodSpec, validatePodSpec } from '../common/pod-spec.js';
import { column, type LabelSelector } from '../common/table.js';

type Obj = Record<string, any>;

/** ValidateNonnegativeField. */
export function nonNegative(v: unknown, field: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [{ type: 'Invalid', field, badValue: v, detail: 'must be greater than or equal to 0' }] : [];
}

/** ValidateLabelSelector (strict values). */
export function validateLabelSelector(sel: LabelSelector, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const ep = `${path}.matchExpressions[${i}]`;
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (vals.length === 0) errs.push({ type: 'Required', field: `${ep}.values`, detail: "must be specified when `operator` is 'In' or 'NotIn'" });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (vals.length > 0) errs.push({ type: 'Forbidden', field: `${ep}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
        break;
      default:
        errs.push({ type: 'Invalid', field: `${ep}.operator`, badValue: e.operator, detail: 'not a valid selector operator' });
    }
    for (const m of isQualifiedName(e.key ?? '')) errs.push({ type: 'Invalid', field: `${ep}.key`, badValue: e.key, detail: m });
    for (const [j, v] of vals.entries()) for (const m of isValidLabelValue(v)) errs.push({ type: 'Invalid', field: `${ep}.values[${j}]`, badValue: v, detail: m });
  }
  errs.push(...validateLabels(sel.matchLabels, `${path}.matchLabels`));
  return errs;
}

/** Whether a label set matches a (valid) selector. */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Defaults of a workload's `spec.template` (the pod spec defaults) and replicas. */
export function defaultWorkload(obj: KubeObject): void {
  obj.spec ??= {};
  const spec = obj.spec as Obj;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  spec.template ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

/** The selector, template and replica rules both kinds share, in upstream's order. */
export function validateWorkloadSpec(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as Obj;
  const errs: FieldError[] = [...nonNegative(spec.replicas, 'spec.replicas')];
  const sel = spec.selector as LabelSelector | undefined;
  let selectorOk = true;
  if (!sel) errs.push({ type: 'Required', field: 'spec.selector' });
  else {
    const selErrs = validateLabelSelector(sel, 'spec.selector');
    selectorOk = !selErrs.some((e) => e.field.endsWith('.operator') || e.field.endsWith('.values'));
    errs.push(...selErrs);
    if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
      errs.push({ type: 'Invalid', field: 'spec.selector', badValue: sel, detail: 'empty selector is invalid for deployment' });
    }
  }
  if (!selectorOk) {
    errs.push({ type: 'Invalid', field: 'spec.selector', badValue: sel, detail: 'invalid label selector' });
    return errs;
  }
  const tpl = (spec.template ?? {}) as Obj;
  const labels = (tpl.metadata?.labels ?? {}) as Record<string, string>;
  const empty = !sel || Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0;
  if (!empty && !selectorMatches(sel!, labels)) {
    errs.push({ type: 'Invalid', field: 'spec.template.metadata.labels', badValue: tpl.metadata?.labels ?? null, detail: '`selector` does not match template `labels`' });
  }
  // ValidatePodTemplateSpec names these paths under the template itself.
  errs.push(...validateLabels(tpl.metadata?.labels, 'spec.template.labels'));
  errs.push(...validateAnnotations(tpl.metadata?.annotations, 'spec.template.annotations'));
  errs.push(...validatePodSpec(tpl.spec, 'spec.template.spec', { isPod: false }));
  const rp = tpl.spec?.restartPolicy;
  if (rp !== 'Always') errs.push({ type: 'NotSupported', field: 'spec.template.spec.restartPolicy', badValue: rp ?? '', supported: ['Always'] });
  if (tpl.spec?.activeDeadlineSeconds !== undefined && tpl.spec?.activeDeadlineSeconds !== null) {
    errs.push({ type: 'Invalid', field: 'spec.template.spec.activeDeadlineSeconds', badValue: tpl.spec.activeDeadlineSeconds, detail: 'activeDeadlineSeconds in ReplicaSet is not Supported' });
  }
  return errs;
}

/**
 * Warnings upstream gives for pod templates (k/k pkg/api/pod/warnings.go): a negative
 * terminationGracePeriodSeconds.
 */
export function warnPodSpec(spec: Obj | undefined, path: string, ctx: StrategyContext): void {
  const g = spec?.terminationGracePeriodSeconds;
  if (typeof g === 'number' && g < 0) ctx.warn(`${path}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1`);
}

/**
 * The create warning of workload kinds whose name becomes part of pod names
 * (WarningsOnCreate in k/k pkg/registry/apps/{deployment,replicaset}/strategy.go).
 */
export function warnWorkloadName(name: string | undefined, ctx: StrategyContext): void {
  const msgs = name ? isDNS1123Label(name) : [];
  if (msgs.length) ctx.warn(`metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`);
}

/**
 * The validate / validateUpdate / validateStatusUpdate trio Deployments and ReplicaSets share:
 * metadata, the kind's spec checks, an immutable spec.selector (apps/v1), and non-negative
 * status counts.
 */
export function workloadValidation(
  validateSpec: (obj: KubeObject) => FieldError[],
  statusCounts: string[],
): Pick<ResourceStrategy, 'validate' | 'validateUpdate' | 'validateStatusUpdate'> {
  return {
    validate(obj, ctx) {
      warnWorkloadName(obj.metadata.name, ctx);
      warnPodSpec(obj.spec?.template?.spec, 'spec.template.spec', ctx);
      return [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateSpec(obj)];
    },
    validateUpdate(obj, old, ctx) {
      warnPodSpec(obj.spec?.template?.spec, 'spec.template.spec', ctx);
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSpec(obj)];
      if (!deepEqual(obj.spec?.selector, old.spec?.selector)) errs.push(immutable('spec.selector', obj.spec?.selector));
      return errs;
    },
    validateStatusUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      const st = (obj.status ?? {}) as Obj;
      for (const f of statusCounts) errs.push(...nonNegative(st[f], `status.${f}`));
      return errs;
    },
  };
}

/**
 * The strategy members Deployments and ReplicaSets share: namespaced apps/v1 kinds in category
 * "all" with every verb, the status and scale subresources and generation tracking. Create applies
 * `defaults`, sets the status to `initialStatus()` and generation 1; update applies `defaults`
 * and keeps the stored status.
 */
export function workloadStrategyBase(
  defaults: (obj: KubeObject) => void,
  initialStatus: () => Obj,
): Pick<ResourceStrategy, 'group' | 'version' | 'categories' | 'namespaced' | 'verbs' | 'subresources' | 'tracksGeneration' | 'prepareForCreate' | 'prepareForUpdate'> {
  return {
    group: 'apps',
    version: 'v1',
    categories: ['all'],
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
    tracksGeneration: true,
    prepareForCreate(obj) {
      defaults(obj);
      obj.status = initialStatus();
      obj.metadata.generation = 1;
    },
    prepareForUpdate(obj, old) {
      defaults(obj);
      obj.status = old.status;
    },
  };
}

/**
 * The wide (priority 1) columns both printers end with: Containers and Images of the pod
 * template, then Selector with the kind's own description.
 */
export function templateColumns(selectorDescription: string): TableColumn[] {
  return [
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', selectorDescription, 1),
  ];
}
