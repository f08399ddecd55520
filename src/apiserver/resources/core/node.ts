// core/v1 Node (k/k pkg/registry/core/node/strategy.go, printNode in printers.go). Nodes may
// set status on create (the kubelet registers with it); cluster-scoped.
import type { FieldError } from '../../../api/field-errors.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';
import { ALL_VERBS } from '../common/util.js';

type Obj = Record<string, any>;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, t] of ((obj.spec?.taints ?? []) as Obj[]).entries()) {
    if (!t.key) errs.push({ type: 'Required', field: `spec.taints[${i}].key` });
    if (!t.effect) errs.push({ type: 'Required', field: `spec.taints[${i}].effect` });
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push({ type: 'NotSupported', field: `spec.taints[${i}].effect`, badValue: t.effect, supported: TAINT_EFFECTS });
  }
  return errs;
}

/** STATUS of printNode: Ready/NotReady/Unknown from the Ready condition, plus SchedulingDisabled. */
export function nodeStatusCell(node: KubeObject): string {
  const ready = ((node.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (node.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

/** ROLES of printNode, from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role`. */
export function nodeRolesCell(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function address(node: KubeObject, type: string): string {
  return ((node.status?.addresses ?? []) as Obj[]).find((a) => a.type === type)?.address ?? '<none>';
}

/** The Node strategy. */
export function nodeStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Node',
    resource: 'nodes',
    singular: 'node',
    shortNames: ['no'],
    namespaced: false,
    verbs: ALL_VERBS,
    subresources: { status: true, extra: ['proxy'] },
    prepareForUpdate(obj, old) {
      obj.status = old.status;
    },
    validate: (obj) => [...validateObjectMeta(obj.metadata, false, nameIsDNSSubdomain), ...validateSpec(obj)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSpec(obj)],
    validateStatusUpdate: (obj, old) => validateObjectMetaUpdate(obj.metadata, old.metadata),
    table: {
      columns: [
        NAME_COLUMN,
        column('Status', 'string', 'The status of the node'),
        column('Roles', 'string', 'The roles of the node'),
        AGE_COLUMN,
        column('Version', 'string', 'Kubelet Version reported by the node.'),
        column('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
        column('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
        column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
        column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
        column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
      ],
      cells(obj, now) {
        const info = (obj.status?.nodeInfo ?? {}) as Obj;
        return [
          obj.metadata.name ?? '', nodeStatusCell(obj), nodeRolesCell(obj), ageCell(obj, now), info.kubeletVersion ?? '',
          address(obj, 'InternalIP'), address(obj, 'ExternalIP'),
          info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>',
        ];
      },
    },
    fieldLabels: (obj) => ({ 'spec.unschedulable': String(obj.spec?.unschedulable === true) }),
  };
}
