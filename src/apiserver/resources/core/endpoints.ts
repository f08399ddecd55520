// core/v1 Endpoints (k/k ValidateEndpoints, SetDefaults_Endpoints, formatEndpoints in printers.go).
import { isIP } from 'node:net';
import type { FieldError } from '../../../api/field-errors.js';
import { isDNS1123Label, isValidPortNum, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column, firstThree } from '../common/table.js';
import { ALL_VERBS } from '../common/util.js';

type Obj = Record<string, any>;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function defaults(obj: KubeObject): void {
  for (const ss of (obj.subsets ?? []) as Obj[]) for (const p of (ss.ports ?? []) as Obj[]) p.protocol ||= 'TCP';
}

/** validateNonSpecialIP: addresses that make no sense as endpoints. */
export function nonSpecialIPErrors(ip: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const inv = (detail: string) => errs.push({ type: 'Invalid', field, badValue: ip, detail });
  const v4 = isIP(ip) === 4 ? ip.split('.').map(Number) : undefined;
  const low = ip.toLowerCase();
  if (ip === '0.0.0.0' || low === '::') inv('may not be unspecified (0.0.0.0)');
  if ((v4 && v4[0] === 127) || low === '::1') inv('may not be in the loopback range (127.0.0.0/8)');
  if ((v4 && v4[0] === 169 && v4[1] === 254) || /^fe[89ab]/.test(low)) inv('may not be in the link-local range (169.254.0.0/16)');
  if ((v4 && v4[0] === 224 && v4[1] === 0 && v4[2] === 0) || low.startsWith('ff02:')) inv('may not be in the link-local multicast range (224.0.0.0/24)');
  return errs;
}

/** IsValidIP's message (apimachinery pkg/util/validation/ip.go). */
export const INVALID_IP_DETAIL = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function validateSubsets(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  // berth serves the API on loopback (DESIGN.md), so the `kubernetes` Service's own Endpoints
  // are exempt from the special-address rule that upstream applies to every other object.
  const apiserverEndpoints = obj.metadata.namespace === 'default' && obj.metadata.name === 'kubernetes';
  for (const [i, ss] of ((obj.subsets ?? []) as Obj[]).entries()) {
    const sp = `subsets[${i}]`;
    if (!(ss.addresses ?? []).length && !(ss.notReadyAddresses ?? []).length) {
      errs.push({ type: 'Required', field: sp, detail: 'must specify `addresses` or `notReadyAddresses`' });
    }
    for (const kind of ['addresses', 'notReadyAddresses'] as const) {
      for (const [j, a] of ((ss[kind] ?? []) as Obj[]).entries()) {
        const ap = `${sp}.${kind}[${j}]`;
        const own: FieldError[] = [];
        if (!isIP(String(a.ip ?? ''))) own.push({ type: 'Invalid', field: `${ap}.ip`, badValue: a.ip ?? '', detail: INVALID_IP_DETAIL });
        if (a.hostname) for (const m of isDNS1123Label(a.hostname)) own.push({ type: 'Invalid', field: `${ap}.hostname`, badValue: a.hostname, detail: m });
        if (own.length === 0 && !apiserverEndpoints) own.push(...nonSpecialIPErrors(a.ip, `${ap}.ip`));
        errs.push(...own);
      }
    }
    const ports = (ss.ports ?? []) as Obj[];
    for (const [j, p] of ports.entries()) {
      const pp = `${sp}.ports[${j}]`;
      if (ports.length > 1 && !p.name) errs.push({ type: 'Required', field: `${pp}.name` });
      else if (p.name) for (const m of isDNS1123Label(p.name)) errs.push({ type: 'Invalid', field: `${pp}.name`, badValue: p.name, detail: m });
      for (const m of isValidPortNum(p.port)) errs.push({ type: 'Invalid', field: `${pp}.port`, badValue: p.port, detail: m });
      if (!p.protocol) errs.push({ type: 'Required', field: `${pp}.protocol` });
      else if (!PROTOCOLS.includes(p.protocol)) errs.push({ type: 'NotSupported', field: `${pp}.protocol`, badValue: p.protocol, supported: PROTOCOLS });
    }
  }
  return errs;
}

/** The ENDPOINTS cell: ready addresses × ports, three at most. */
export function formatEndpoints(obj: KubeObject): string {
  const subsets = (obj.subsets ?? []) as Obj[];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  for (const ss of subsets) {
    const addrs = (ss.addresses ?? []) as Obj[];
    const ports = (ss.ports ?? []) as Obj[];
    if (ports.length === 0) {
      for (const a of addrs) list.push(a.ip);
      continue;
    }
    for (const p of ports) {
      for (const a of addrs) list.push(isIP(a.ip) === 6 ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
    }
  }
  return firstThree(list);
}

/** The Endpoints strategy. */
export function endpointsStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    resource: 'endpoints',
    singular: 'endpoints',
    shortNames: ['ep'],
    namespaced: true,
    verbs: ALL_VERBS,
    prepareForCreate: defaults,
    prepareForUpdate: (obj) => defaults(obj),
    validate: (obj) => [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateSubsets(obj)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSubsets(obj)],
    table: {
      columns: [NAME_COLUMN, column('Endpoints', 'string', 'Endpoints of the service'), AGE_COLUMN],
      cells: (obj, now) => [obj.metadata.name ?? '', formatEndpoints(obj), ageCell(obj, now)],
    },
  };
}
