#!/usr/bin/env node
// Writes src/apiserver/protobuf/messages.generated.ts: the protobuf message tables of the kinds
// berth serves, extracted from the Go struct tags of kubernetes/api at v0.32.4 (types.go of
// core/v1, apps/v1, events/v1, coordination/v1, discovery/v1, autoscaling/v1, authentication/v1).
// Each field's `protobuf:"<wire>,<number>,<opt|rep|req>,name=<name>"` tag gives the field
// number; the Go type gives how the encoder writes it (pointer, slice, map or value) and the
// json tag gives the JSON name and omitempty (protobuf-fields.md §3 explains both).
// meta/v1 messages (ObjectMeta and friends) are not in kubernetes/api: they stay hand-written
// in messages.ts from protobuf-fields.md §8.1.
//
// Usage: node scripts/gen-protobuf.mjs DIR
//   where DIR holds <group>/v1/types.go from `git archive v0.32.4` of kubernetes/api.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/gen-protobuf.mjs KUBERNETES_API_DIR');
  process.exit(2);
}

// Package directory -> message-name prefix ('' for core, whose names stay unqualified).
const PACKAGES = {
  'core/v1': '',
  'apps/v1': 'apps.',
  'events/v1': 'events.',
  'coordination/v1': 'coordination.',
  'discovery/v1': 'discovery.',
  'autoscaling/v1': 'autoscaling.',
  'authentication/v1': 'authentication.',
};
// Go import aliases of other packages used inside these files.
const CORE_ALIASES = new Set(['v1', 'corev1']);
// meta/v1 messages hand-written in messages.ts.
const META_MESSAGES = new Set(['ObjectMeta', 'OwnerReference', 'ManagedFieldsEntry', 'LabelSelector', 'LabelSelectorRequirement', 'Condition']);
const SPECIAL = {
  'metav1.Time': 'time',
  'metav1.MicroTime': 'microtime',
  'resource.Quantity': 'quantity',
  'intstr.IntOrString': 'intstr',
  'metav1.FieldsV1': 'fieldsv1',
  'runtime.RawExtension': 'rawextension',
  'types.UID': 'string',
};

// Top-level kinds: apiVersion/kind -> message.
const TOP_LEVEL = {
  'v1/Namespace': 'Namespace', 'v1/Pod': 'Pod', 'v1/Secret': 'Secret', 'v1/ConfigMap': 'ConfigMap',
  'v1/ServiceAccount': 'ServiceAccount', 'v1/Service': 'Service', 'v1/Endpoints': 'Endpoints',
  'v1/Event': 'Event', 'v1/Node': 'Node', 'v1/Binding': 'Binding',
  'apps/v1/Deployment': 'apps.Deployment', 'apps/v1/ReplicaSet': 'apps.ReplicaSet',
  'events.k8s.io/v1/Event': 'events.Event', 'coordination.k8s.io/v1/Lease': 'coordination.Lease',
  'discovery.k8s.io/v1/EndpointSlice': 'discovery.EndpointSlice', 'autoscaling/v1/Scale': 'autoscaling.Scale',
  'authentication.k8s.io/v1/TokenRequest': 'authentication.TokenRequest',
};

const structs = new Map(); // qualified name -> { pkg, fields: [{goName, goType, json, proto}] }
const named = new Map(); // qualified name -> underlying Go type

for (const [pkg, prefix] of Object.entries(PACKAGES)) {
  const src = readFileSync(join(dir, pkg, 'types.go'), 'utf8');
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const st = /^type (\w+) struct \{\s*$/.exec(lines[i]);
    if (st) {
      const fields = [];
      for (i++; i < lines.length && lines[i] !== '}'; i++) {
        const l = lines[i].trim();
        if (!l || l.startsWith('//')) continue;
        const m = /^(?:(\w+)\s+)?([^\s`]+)\s+`([^`]*)`/.exec(l);
        if (!m) continue;
        const tags = Object.fromEntries([...m[3].matchAll(/(\w+):"([^"]*)"/g)].map((t) => [t[1], t[2]]));
        fields.push({ goName: m[1], goType: m[2], json: tags.json, proto: tags.protobuf });
      }
      structs.set(prefix + st[1], { prefix, fields });
      continue;
    }
    const nt = /^type (\w+) =? ?([^\s{]+)\s*$/.exec(lines[i]);
    if (nt) named.set(prefix + nt[1], { prefix, goType: nt[2] });
  }
}

/** Resolves a Go type (no pointer/slice/map) seen in package `prefix` to a table type. */
function resolve(goType, prefix) {
  if (SPECIAL[goType]) return SPECIAL[goType];
  if (['string', 'int32', 'int64', 'bool'].includes(goType)) return goType;
  if (goType === '[]byte') return 'bytes';
  const dot = goType.indexOf('.');
  if (dot > 0) {
    const alias = goType.slice(0, dot);
    const name = goType.slice(dot + 1);
    if (alias === 'metav1' && META_MESSAGES.has(name)) return name;
    if (CORE_ALIASES.has(alias)) return resolve(name, '');
    throw new Error(`unsupported Go type ${goType}`);
  }
  const q = prefix + goType;
  if (structs.has(q)) return q;
  const n = named.get(q);
  if (n) {
    if (n.goType.startsWith('map[') || n.goType.startsWith('[]')) return { alias: n.goType, prefix: n.prefix };
    return resolve(n.goType, n.prefix);
  }
  throw new Error(`unknown Go type ${goType} in package ${prefix || 'core'}`);
}

/** Table type and kind of one struct field, from its Go type and json tag. */
function fieldType(goType, omitempty, prefix) {
  if (goType.startsWith('*')) {
    const t = resolve(goType.slice(1), prefix);
    if (typeof t !== 'string') throw new Error(`pointer to ${goType}`);
    return { type: t, kind: 'ptr' };
  }
  if (goType === '[]byte') return { type: 'bytes', kind: 'ptr' };
  if (goType.startsWith('[]')) {
    const t = resolve(goType.slice(2), prefix);
    if (typeof t !== 'string') throw new Error(`slice of ${goType}`);
    return { type: t, kind: 'rep' };
  }
  const map = /^map\[(\w+)\](.+)$/.exec(goType);
  if (map) {
    const v = map[2] === '[]byte' ? 'bytes' : resolve(map[2], prefix);
    if (typeof v !== 'string') throw new Error(`map of ${goType}`);
    return { type: `map<string,${v}>`, kind: 'map' };
  }
  const t = resolve(goType, prefix);
  if (typeof t !== 'string') return fieldType(t.alias, omitempty, t.prefix);
  return { type: t, kind: omitempty ? 'val' : 'val!' };
}

const out = new Map();
const queue = Object.values(TOP_LEVEL);
while (queue.length) {
  const name = queue.shift();
  if (out.has(name) || META_MESSAGES.has(name)) continue;
  const s = structs.get(name);
  if (!s) throw new Error(`no struct ${name}`);
  const parts = [];
  for (const f of s.fields) {
    if (!f.proto || f.proto === '-') continue;
    const [, num, , ...rest] = f.proto.split(',');
    const protoName = rest.find((r) => r.startsWith('name='))?.slice(5);
    const [jsonName, ...opts] = (f.json ?? '').split(',');
    const inline = opts.includes('inline');
    const { type, kind } = fieldType(f.goType, opts.includes('omitempty') || inline, s.prefix);
    const fieldName = inline ? (protoName ?? f.goType[0].toLowerCase() + f.goType.slice(1)) : jsonName || protoName;
    parts.push(`${num} ${inline ? '*' : ''}${fieldName} ${type} ${kind}`);
    const base = /^map<string,(.+)>$/.exec(type)?.[1] ?? type;
    if (structs.has(base)) queue.push(base);
  }
  out.set(name, parts.join('; '));
}

const body = [...out].map(([k, v]) => `  '${k}': '${v}',`).join('\n');
const top = Object.entries(TOP_LEVEL).map(([k, v]) => `  '${k}': '${v}',`).join('\n');
const file = `// GENERATED by scripts/gen-protobuf.mjs from the struct tags of kubernetes/api v0.32.4 (types.go).
// Do not edit by hand; regenerate instead. The line format is described in messages.ts.

/** Message name -> field list (core/v1 names unqualified, other groups prefixed). */
export const GENERATED_MESSAGES: Record<string, string> = {
${body}
};

/** apiVersion/kind of a top-level object -> its message. */
export const TOP_LEVEL: Record<string, string> = {
${top}
};
`;
writeFileSync(new URL('../src/apiserver/protobuf/messages.generated.ts', import.meta.url), file);
console.log(`wrote ${out.size} messages, ${file.length} bytes`);
