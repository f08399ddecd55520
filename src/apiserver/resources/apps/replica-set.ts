// apps/v1 ReplicaSet (k/k pkg/apis/apps/v1/defaults.go SetDefaults_ReplicaSet,
// pkg/apis/apps/validation ValidateReplicaSetSpec, pkg/registry/apps/replicaset, printReplicaSet).
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column, containersAndImages, formatLabelSelector } from '../common/table.js';
import { defaultWorkload, nonNegative, templateColumns, validateWorkloadSpec, workloadStrategyBase, workloadValidation } from './workload.js';

type Obj = Record<string, any>;

function validateSpec(obj: KubeObject) {
  const errs = validateWorkloadSpec(obj);
  // Upstream checks minReadySeconds right after replicas; keep it with the other counts.
  errs.push(...nonNegative(obj.spec?.minReadySeconds, 'spec.minReadySeconds'));
  return errs;
}

/** The apps/v1 ReplicaSet strategy. */
export function replicaSetStrategy(): ResourceStrategy {
  return {
    kind: 'ReplicaSet',
    resource: 'replicasets',
    singular: 'replicaset',
    shortNames: ['rs'],
    ...workloadStrategyBase(defaultWorkload, () => ({ replicas: 0 })),
    ...workloadValidation(validateSpec, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']),
    table: {
      columns: [
        NAME_COLUMN,
        column('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#what-is-a-replicaset'),
        column('Current', 'integer', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#what-is-a-replicaset'),
        column('Ready', 'integer', 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.'),
        AGE_COLUMN,
        ...templateColumns('Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
      ],
      cells(obj, now) {
        const spec = (obj.spec ?? {}) as Obj;
        const st = (obj.status ?? {}) as Obj;
        const [names, images] = containersAndImages(spec.template?.spec);
        return [obj.metadata.name ?? '', spec.replicas ?? 1, st.replicas ?? 0, st.readyReplicas ?? 0, ageCell(obj, now), names, images, formatLabelSelector(spec.selector)];
      },
    },
    // ReplicaSetToSelectableFields (k/k pkg/registry/apps/replicaset/strategy.go).
    fieldLabels: (obj) => ({ 'status.replicas': String(obj.status?.replicas ?? 0) }),
  };
}
