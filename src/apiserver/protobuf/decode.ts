// Table-driven decoding of Kubernetes protobuf messages into the JSON form the API accepts
// (protobuf-fields.md §3-§5): proto field names are the JSON names; value fields holding their
// zero mean "unset"; pointer fields are kept whenever present; embedded structs are flattened;
// Time, MicroTime, Quantity, IntOrString and FieldsV1 take their JSON forms; bytes become base64.
import { MESSAGES } from './messages.js';
import { ProtobufDecodeError, WIRE_LEN, WIRE_VARINT, readFields, readVarint, type WireField } from './wire.js';

type FieldKind = 'val' | 'val!' | 'ptr' | 'rep' | 'map';

interface FieldDef {
  num: number;
  name: string;
  type: string;
  /** For map fields: the type of the values (keys are always strings here). */
  mapValue?: string;
  kind: FieldKind;
  inline: boolean;
}

const SCALARS = new Set(['string', 'int32', 'int64', 'bool', 'bytes']);
const SPECIALS = new Set(['time', 'microtime', 'quantity', 'intstr', 'fieldsv1', 'rawextension']);
const KINDS = new Set<string>(['val', 'val!', 'ptr', 'rep', 'map']);
const utf8 = new TextDecoder('utf-8');

function parseTable(): Map<string, FieldDef[]> {
  const table = new Map<string, FieldDef[]>();
  for (const [msg, line] of Object.entries(MESSAGES)) {
    const defs: FieldDef[] = [];
    for (const part of line.split(';')) {
      const [num, rawName, type, kind] = part.trim().split(/\s+/);
      if (!KINDS.has(kind)) throw new Error(`protobuf table: bad kind in ${msg}: ${part}`);
      const inline = rawName.startsWith('*');
      const def: FieldDef = { num: Number(num), name: inline ? rawName.slice(1) : rawName, type, kind: kind as FieldKind, inline };
      const m = /^map<string,(.+)>$/.exec(type);
      if (m) def.mapValue = m[1];
      defs.push(def);
    }
    table.set(msg, defs);
  }
  for (const [msg, defs] of table) {
    for (const d of defs) {
      const t = d.mapValue ?? d.type;
      if (!SCALARS.has(t) && !SPECIALS.has(t) && !table.has(t)) throw new Error(`protobuf table: ${msg}.${d.name} refers to unknown message ${t}`);
    }
  }
  return table;
}

const TABLE = parseTable();

/** Field definitions of one message, for tests that cross-check the table against the schemas. */
export function messageFields(name: string): ReadonlyArray<Readonly<FieldDef>> | undefined {
  return TABLE.get(name);
}

function isLengthDelimitedType(t: string): boolean {
  return t === 'string' || t === 'bytes' || SPECIALS.has(t) || TABLE.has(t);
}

function expectWire(f: WireField, want: number, where: string): void {
  if (f.wireType !== want) throw new ProtobufDecodeError(`${where}: wire type ${f.wireType}, expected ${want}`);
}

function toInt(type: 'int32' | 'int64' | 'bool', v: bigint, where: string): number | boolean {
  if (type === 'bool') return v !== 0n;
  if (type === 'int32') return Number(BigInt.asIntN(32, v));
  const n = BigInt.asIntN(64, v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ProtobufDecodeError(`${where}: int64 value ${n} does not fit a JSON number exactly`);
  }
  return Number(n);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  return Buffer.concat(parts);
}

function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new ProtobufDecodeError(`time out of range: ${seconds}s`);
  const iso = new Date(ms).toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  const us = Math.floor(nanos / 1000);
  return `${iso}.${String(us).padStart(6, '0')}Z`;
}

/** Decodes one special type; undefined means its zero value (an empty Time...). */
function decodeSpecial(type: string, buf: Uint8Array, where: string): unknown {
  const fields = readFields(buf);
  const last = (num: number) => {
    let found: WireField | undefined;
    for (const f of fields) if (f.num === num) found = f;
    return found;
  };
  const str = (num: number) => {
    const f = last(num);
    if (!f) return '';
    expectWire(f, WIRE_LEN, where);
    return utf8.decode(f.bytes);
  };
  const int = (num: number, t: 'int32' | 'int64') => {
    const f = last(num);
    if (!f) return 0;
    expectWire(f, WIRE_VARINT, where);
    return toInt(t, f.varint as bigint, where) as number;
  };
  switch (type) {
    case 'time':
    case 'microtime':
      // An empty message is the zero time (apimachinery time_proto.go); JSON null, so left out.
      if (buf.length === 0) return undefined;
      return formatTime(int(1, 'int64'), int(2, 'int32'), type === 'microtime');
    case 'quantity':
      return str(1);
    case 'intstr':
      return int(1, 'int64') === 1 ? str(3) : int(2, 'int32');
    case 'fieldsv1':
    case 'rawextension': {
      // FieldsV1 {1: Raw} and runtime.RawExtension {1: raw}: JSON text, inlined in the JSON form.
      const f = last(1);
      if (!f) return type === 'fieldsv1' ? {} : undefined;
      expectWire(f, WIRE_LEN, where);
      try {
        return JSON.parse(utf8.decode(f.bytes));
      } catch {
        throw new ProtobufDecodeError(`${where}: ${type === 'fieldsv1' ? 'FieldsV1' : 'RawExtension'} does not hold JSON`);
      }
    }
    default:
      throw new ProtobufDecodeError(`${where}: unknown special type ${type}`);
  }
}

/** Decodes one length-delimited value or one varint of a declared type. */
function decodeValue(type: string, f: WireField | Uint8Array, where: string): unknown {
  if (f instanceof Uint8Array) return decodeLengthDelimited(type, f, where);
  if (type === 'int32' || type === 'int64' || type === 'bool') {
    expectWire(f, WIRE_VARINT, where);
    return toInt(type, f.varint as bigint, where);
  }
  expectWire(f, WIRE_LEN, where);
  return decodeLengthDelimited(type, f.bytes as Uint8Array, where);
}

function decodeLengthDelimited(type: string, buf: Uint8Array, where: string): unknown {
  if (type === 'string') return utf8.decode(buf);
  if (type === 'bytes') return Buffer.from(buf).toString('base64');
  if (SPECIALS.has(type)) return decodeSpecial(type, buf, where);
  return decodeMessage(type, buf, where);
}

function isZero(v: unknown): boolean {
  return v === undefined || v === '' || v === 0 || v === false;
}

/** Zero value of a map entry's missing value (Go writes both, but a decoder must not rely on it). */
function zeroOf(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bytes':
      return '';
    case 'quantity':
      return '0';
    default:
      return TABLE.has(type) ? {} : undefined;
  }
}

/**
 * Decodes `buf` as message `name` of the table into its JSON object. `where` names the field
 * path for error messages. Unknown field numbers are skipped, as Go's decoder does.
 */
export function decodeMessage(name: string, buf: Uint8Array, where: string = name): Record<string, unknown> {
  const defs = TABLE.get(name);
  if (!defs) throw new ProtobufDecodeError(`no protobuf schema for message ${name}`);
  const byNum = new Map<number, WireField[]>();
  for (const f of readFields(buf)) {
    const list = byNum.get(f.num);
    if (list) list.push(f);
    else byNum.set(f.num, [f]);
  }
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    const occ = byNum.get(d.num);
    if (!occ) continue;
    const at = `${where}.${d.name}`;
    if (d.kind === 'rep') {
      const values: unknown[] = [];
      for (const f of occ) {
        if (f.wireType === WIRE_LEN && !isLengthDelimitedType(d.type)) {
          // Packed repeated numbers.
          const b = f.bytes as Uint8Array;
          let pos = 0;
          while (pos < b.length) {
            const [v, next] = readVarint(b, pos);
            pos = next;
            values.push(toInt(d.type as 'int32' | 'int64' | 'bool', v, at));
          }
        } else {
          values.push(decodeValue(d.type, f, at));
        }
      }
      out[d.name] = values;
      continue;
    }
    if (d.kind === 'map') {
      const map: Record<string, unknown> = (out[d.name] as Record<string, unknown> | undefined) ?? {};
      const vt = d.mapValue as string;
      for (const f of occ) {
        expectWire(f, WIRE_LEN, at);
        let key = '';
        let value: unknown = undefined;
        for (const e of readFields(f.bytes as Uint8Array)) {
          if (e.num === 1) {
            expectWire(e, WIRE_LEN, at);
            key = utf8.decode(e.bytes);
          } else if (e.num === 2) {
            value = decodeValue(vt, e, `${at}[${key}]`);
          }
        }
        map[key] = value === undefined ? zeroOf(vt) : value;
      }
      out[d.name] = map;
      continue;
    }
    let value: unknown;
    if (isLengthDelimitedType(d.type) && d.type !== 'string' && d.type !== 'bytes') {
      // A message field seen more than once: Go merges the occurrences, which is the same as
      // decoding their concatenation.
      for (const f of occ) expectWire(f, WIRE_LEN, at);
      value = decodeLengthDelimited(d.type, concat(occ.map((f) => f.bytes as Uint8Array)), at);
    } else {
      value = decodeValue(d.type, occ[occ.length - 1], at);
    }
    if (d.inline) {
      if (value && typeof value === 'object') Object.assign(out, value);
      continue;
    }
    if (value === undefined) continue;
    if (d.kind === 'val') {
      if (isZero(value)) continue;
      if (d.type === 'intstr' && value === 0) continue;
    }
    out[d.name] = value;
  }
  return out;
}
