#!/usr/bin/env node
// Extracts the structural facts berth needs from upstream's Kubernetes 1.32 OpenAPI (swagger 2.0)
// spec into src/apiserver/openapi/schemas.generated.ts: field names, types and formats, $refs,
// required fields, enums, x-kubernetes-patch-merge-key / -patch-strategy / -list-type /
// -list-map-keys / -map-type and x-kubernetes-group-version-kind. Descriptions are dropped
// (the committed file carries no upstream prose); enum values are read out of the
// "Possible enum values" lists that the v2 spec keeps inside descriptions (the v3 spec
// publishes the same values as `enum`).
//
// Only the kinds berth serves, and what they reference, are kept.
//
// Usage: node scripts/gen-openapi.mjs PATH/TO/swagger.json
// The input is upstream's api/openapi-spec/swagger.json of the release-1.32 branch (the
// Python client mirrors it as kubernetes/swagger.json.unprocessed in its v32 releases).
import { readFileSync, writeFileSync } from 'node:fs';

const input = process.argv[2];
if (!input) {
  console.error('usage: node scripts/gen-openapi.mjs SWAGGER_JSON');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(input, 'utf8'));
const defs = spec.definitions;

const core = (k) => `io.k8s.api.core.v1.${k}`;
const meta = (k) => `io.k8s.apimachinery.pkg.apis.meta.v1.${k}`;
const kinds = [
  ...['Namespace', 'Pod', 'Secret', 'ConfigMap', 'ServiceAccount', 'Service', 'Endpoints', 'Event', 'Node', 'Binding'].map(core),
  'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.ReplicaSet',
  'io.k8s.api.events.v1.Event', 'io.k8s.api.coordination.v1.Lease', 'io.k8s.api.discovery.v1.EndpointSlice',
  'io.k8s.api.autoscaling.v1.Scale', 'io.k8s.api.authentication.v1.TokenRequest', 'io.k8s.api.policy.v1.Eviction',
];
const roots = [
  ...kinds,
  ...kinds.map((k) => `${k}List`).filter((k) => defs[k]),
  ...['Status', 'DeleteOptions', 'WatchEvent', 'Patch', 'ListMeta', 'APIResourceList'].map(meta),
];

function* refsOf(node) {
  if (Array.isArray(node)) for (const x of node) yield* refsOf(x);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') yield v.split('/').pop();
      else yield* refsOf(v);
    }
  }
}

const keep = new Set();
const stack = [...roots];
while (stack.length) {
  const name = stack.pop();
  if (keep.has(name)) continue;
  if (!defs[name]) throw new Error(`definition ${name} not in the input spec`);
  keep.add(name);
  stack.push(...refsOf(defs[name]));
}

// The v2 spec carries no enums; these are the `enum` lists of the same fields in upstream's
// 1.32 v3 documents (api/openapi-spec/v3), for the fields users set most.
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const ENUMS = {
  'io.k8s.api.core.v1.ServicePort.protocol': PROTOCOLS,
  'io.k8s.api.core.v1.ContainerPort.protocol': PROTOCOLS,
  'io.k8s.api.core.v1.EndpointPort.protocol': PROTOCOLS,
  'io.k8s.api.discovery.v1.EndpointPort.protocol': PROTOCOLS,
  'io.k8s.api.core.v1.Container.imagePullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'io.k8s.api.core.v1.Container.terminationMessagePolicy': ['FallbackToLogsOnError', 'File'],
  'io.k8s.api.core.v1.PodSpec.restartPolicy': ['Always', 'Never', 'OnFailure'],
  'io.k8s.api.core.v1.PodSpec.dnsPolicy': ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
  'io.k8s.api.core.v1.PodSpec.preemptionPolicy': ['Never', 'PreemptLowerPriority'],
  'io.k8s.api.core.v1.PodStatus.phase': ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'],
  'io.k8s.api.core.v1.NamespaceStatus.phase': ['Active', 'Terminating'],
  'io.k8s.api.core.v1.ServiceSpec.type': ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
  'io.k8s.api.core.v1.ServiceSpec.sessionAffinity': ['ClientIP', 'None'],
  'io.k8s.api.core.v1.ServiceSpec.externalTrafficPolicy': ['Cluster', 'Local'],
  'io.k8s.api.core.v1.ServiceSpec.internalTrafficPolicy': ['Cluster', 'Local'],
  'io.k8s.api.core.v1.ServiceSpec.ipFamilyPolicy': ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
  'io.k8s.api.core.v1.HTTPGetAction.scheme': ['HTTP', 'HTTPS'],
  'io.k8s.api.core.v1.Toleration.operator': ['Equal', 'Exists'],
  'io.k8s.api.core.v1.Toleration.effect': TAINT_EFFECTS,
  'io.k8s.api.core.v1.Taint.effect': TAINT_EFFECTS,
  'io.k8s.api.core.v1.NodeSelectorRequirement.operator': ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'],
  'io.k8s.api.core.v1.SeccompProfile.type': ['Localhost', 'RuntimeDefault', 'Unconfined'],
  'io.k8s.api.apps.v1.DeploymentStrategy.type': ['Recreate', 'RollingUpdate'],
  'io.k8s.api.discovery.v1.EndpointSlice.addressType': ['FQDN', 'IPv4', 'IPv6'],
};

function enumFrom(description) {
  if (!description) return undefined;
  const at = description.indexOf('Possible enum values:');
  if (at < 0) return undefined;
  const values = [...description.slice(at).matchAll(/^ - `"([^"]*)"`/gm)].map((m) => m[1]);
  return values.length ? values : undefined;
}

// Compact node: t type, f format, r $ref, p properties, a additionalProperties, i items,
// q required, e enum, mk/ps/lt/lk/mt the x-kubernetes list/map extensions, g GVKs.
function compact(node) {
  const out = {};
  if (node.$ref) out.r = node.$ref.split('/').pop();
  if (node.type) out.t = node.type;
  if (node.format) out.f = node.format;
  if (node.properties) {
    out.p = {};
    for (const [k, v] of Object.entries(node.properties)) out.p[k] = compact(v);
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object') out.a = compact(node.additionalProperties);
  if (node.items) out.i = compact(node.items);
  if (node.required?.length) out.q = node.required;
  const e = enumFrom(node.description);
  if (e) out.e = e;
  if (node['x-kubernetes-patch-merge-key']) out.mk = node['x-kubernetes-patch-merge-key'];
  if (node['x-kubernetes-patch-strategy']) out.ps = node['x-kubernetes-patch-strategy'];
  if (node['x-kubernetes-list-type']) out.lt = node['x-kubernetes-list-type'];
  if (node['x-kubernetes-list-map-keys']) out.lk = node['x-kubernetes-list-map-keys'];
  if (node['x-kubernetes-map-type']) out.mt = node['x-kubernetes-map-type'];
  if (node['x-kubernetes-group-version-kind']) {
    out.g = node['x-kubernetes-group-version-kind'].map((x) => [x.group, x.version, x.kind]);
  }
  return out;
}

const result = {};
for (const key of Object.keys(ENUMS)) {
  const [def, prop] = [key.slice(0, key.lastIndexOf('.')), key.slice(key.lastIndexOf('.') + 1)];
  if (keep.has(def) && !defs[def].properties?.[prop]) throw new Error(`enum for missing field ${key}`);
}
for (const name of [...keep].sort()) {
  const c = compact(defs[name]);
  for (const [prop, node] of Object.entries(c.p ?? {})) {
    const values = ENUMS[`${name}.${prop}`];
    if (values) node.e = values;
  }
  // DeleteOptions and WatchEvent list every group of the whole API; the server fills in its own.
  if (c.g && c.g.length > 4) delete c.g;
  result[name] = c;
}

const banner = `// GENERATED by scripts/gen-openapi.mjs from Kubernetes 1.32's OpenAPI spec: structural facts
// only (names, types, refs, required, enums, x-kubernetes-* list/map/patch extensions, GVKs).
// Do not edit by hand; regenerate instead.
import type { CompactSchema } from './compact.js';

/** Schemas of the served kinds and everything they reference, keyed by OpenAPI definition name. */
export const SCHEMAS: Record<string, CompactSchema> = `;
const body = Object.entries(result).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join('\n');
const out = `${banner}{\n${body}\n};\n`;
writeFileSync(new URL('../src/apiserver/openapi/schemas.generated.ts', import.meta.url), out);
console.log(`wrote ${Object.keys(result).length} definitions, ${out.length} bytes`);
