// discovery.k8s.io/v1 EndpointSlice (k/k pkg/apis/discovery/validation, discovery v1 defaults,
// printEndpointSlice in printers.go).
import { isIP } from 'node:net';
import type { FieldError } from '../../../api/field-errors.js';
import { isDNS1123Subdomain, isValidPortNum, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column, firstThree } from '../common/table.js';
import { ALL_VERBS } from '../common/util.js';

type Obj = Record<string, any>;
const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function defaults(obj: KubeObject): void {
  for (const p of (obj.ports ?? []) as Obj[]) {
    if (p.name === undefined) p.name = '';
    p.protocol ||= 'TCP';
  }
}

function validateSlice(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!obj.addressType) errs.push({ type: 'Required', field: 'addressType' });
  else if (!ADDRESS_TYPES.includes(obj.addressType)) errs.push({ type: 'NotSupported', field: 'addressType', badValue: obj.addressType, supported: ADDRESS_TYPES });
  for (const [i, e] of ((obj.endpoints ?? []) as Obj[]).entries()) {
    const addrs = (e.addresses ?? []) as string[];
    if (addrs.length === 0) errs.push({ type: 'Required', field: `endpoints[${i}].addresses`, detail: 'must contain at least 1 address' });
    else if (addrs.length > 100) errs.push({ type: 'TooMany', field: `endpoints[${i}].addresses`, badValue: addrs.length, detail: 'must have at most 100 items' });
    for (const [j, a] of addrs.entries()) {
      const path = `endpoints[${i}].addresses[${j}]`;
      if (obj.addressType === 'IPv4' && isIP(a) !== 4) errs.push({ type: 'Invalid', field: path, badValue: a, detail: 'must be a valid IPv4 address' });
      else if (obj.addressType === 'IPv6' && isIP(a) !== 6) errs.push({ type: 'Invalid', field: path, badValue: a, detail: 'must be a valid IPv6 address' });
      else if (obj.addressType === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push({ type: 'Invalid', field: path, badValue: a, detail: m });
    }
  }
  for (const [i, p] of ((obj.ports ?? []) as Obj[]).entries()) {
    if (p.port !== undefined && p.port !== null) for (const m of isValidPortNum(p.port)) errs.push({ type: 'Invalid', field: `ports[${i}].port`, badValue: p.port, detail: m });
    if (p.protocol && !PROTOCOLS.includes(p.protocol)) errs.push({ type: 'NotSupported', field: `ports[${i}].protocol`, badValue: p.protocol, supported: PROTOCOLS });
  }
  return errs;
}

/** The Ports cell: port number, else name, else `*`; `<unset>` for none. */
export function slicePortsCell(obj: KubeObject): string {
  const ports = (obj.ports ?? []) as Obj[];
  if (ports.length === 0) return '<unset>';
  return firstThree(ports.map((p) => (p.port ? String(p.port) : p.name ? p.name : '*')));
}

/** The Endpoints cell: every address in order; `<unset>` for none. */
export function sliceEndpointsCell(obj: KubeObject): string {
  const all = ((obj.endpoints ?? []) as Obj[]).flatMap((e) => (e.addresses ?? []) as string[]);
  return all.length ? firstThree(all) : '<unset>';
}

/** The EndpointSlice strategy. */
export function endpointSliceStrategy(): ResourceStrategy {
  return {
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    resource: 'endpointslices',
    singular: 'endpointslice',
    namespaced: true,
    verbs: ALL_VERBS,
    prepareForCreate: defaults,
    prepareForUpdate: (obj) => defaults(obj),
    validate: (obj) => [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateSlice(obj)],
    validateUpdate(obj, old) {
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSlice(obj)];
      if (obj.addressType !== old.addressType) errs.push({ type: 'Invalid', field: 'addressType', badValue: obj.addressType, detail: 'field is immutable' });
      return errs;
    },
    table: {
      columns: [
        NAME_COLUMN,
        column('AddressType', 'string', 'The IP protocol for this slice'),
        column('Ports', 'string', 'The ports on the endpoints'),
        column('Endpoints', 'string', 'The endpoints of this slice'),
        AGE_COLUMN,
      ],
      cells: (obj, now) => [obj.metadata.name ?? '', obj.addressType ?? '', slicePortsCell(obj), sliceEndpointsCell(obj), ageCell(obj, now)],
    },
  };
}
