// apps/v1 Deployment (k/k pkg/apis/apps/v1/defaults.go SetDefaults_Deployment,
// pkg/apis/apps/validation ValidateDeploymentSpec, pkg/registry/apps/deployment/strategy.go,
// printDeployment).
import type { FieldError } from '../../../api/field-errors.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column, containersAndImages, selectorString } from '../common/table.js';
import { defaultWorkload, nonNegative, templateColumns, validateWorkloadSpec, workloadStrategyBase, workloadValidation } from './workload.js';

type Obj = Record<string, any>;

function defaults(obj: KubeObject): void {
  defaultWorkload(obj);
  const spec = obj.spec as Obj;
  spec.strategy ??= {};
  spec.strategy.type ||= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
}

function intOrPercent(v: unknown, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (!m) return [{ type: 'Invalid', field, badValue: v, detail: "must be an integer or percentage (e.g '5%')" }];
    return [];
  }
  return nonNegative(v, field);
}

function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  return -1;
}

function validateStrategy(s: Obj | undefined): FieldError[] {
  const st = s ?? {};
  const errs: FieldError[] = [];
  if (st.type === 'Recreate') {
    if (st.rollingUpdate) errs.push({ type: 'Forbidden', field: 'spec.strategy.rollingUpdate', detail: "may not be specified when strategy `type` is 'Recreate'" });
  } else if (st.type === 'RollingUpdate') {
    const ru = st.rollingUpdate;
    if (!ru) errs.push({ type: 'Required', field: 'spec.strategy.rollingUpdate', detail: 'this should be defaulted and never be nil' });
    else {
      errs.push(...intOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
      errs.push(...intOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push({ type: 'Invalid', field: 'spec.strategy.rollingUpdate.maxUnavailable', badValue: ru.maxUnavailable, detail: 'may not be 0 when `maxSurge` is 0' });
      }
      if (typeof ru.maxUnavailable === 'string' && intOrPercentValue(ru.maxUnavailable) > 100) {
        errs.push({ type: 'Invalid', field: 'spec.strategy.rollingUpdate.maxUnavailable', badValue: ru.maxUnavailable, detail: 'must not be greater than 100%' });
      }
    }
  } else {
    errs.push({ type: 'NotSupported', field: 'spec.strategy', badValue: st, supported: ['Recreate', 'RollingUpdate'] });
  }
  return errs;
}

function validateSpec(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as Obj;
  const errs = validateWorkloadSpec(obj);
  errs.push(...validateStrategy(spec.strategy));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push({ type: 'Invalid', field: 'spec.progressDeadlineSeconds', badValue: spec.progressDeadlineSeconds, detail: 'must be greater than minReadySeconds' });
    }
  }
  return errs;
}

/** The apps/v1 Deployment strategy. */
export function deploymentStrategy(): ResourceStrategy {
  return {
    kind: 'Deployment',
    resource: 'deployments',
    singular: 'deployment',
    shortNames: ['deploy'],
    ...workloadStrategyBase(defaults, () => ({})),
    ...workloadValidation(validateSpec, ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration']),
    table: {
      columns: [
        NAME_COLUMN,
        column('Ready', 'string', 'Number of the pod with ready state'),
        column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
        column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
        AGE_COLUMN,
        ...templateColumns('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.'),
      ],
      cells(obj, now) {
        const spec = (obj.spec ?? {}) as Obj;
        const st = (obj.status ?? {}) as Obj;
        const [names, images] = containersAndImages(spec.template?.spec);
        const sel = selectorString(spec.selector);
        return [
          obj.metadata.name ?? '', `${st.readyReplicas ?? 0}/${spec.replicas ?? 1}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0,
          ageCell(obj, now), names, images, sel === undefined ? '<invalid>' : sel,
        ];
      },
    },
  };
}
