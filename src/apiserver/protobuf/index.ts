// Decoding of the Kubernetes protobuf request bodies that kubectl's typed clients send
// (`kubectl create secret|configmap|namespace|serviceaccount|service|deployment|token`,
// protobuf-fields.md §1) and that any client-go typed client sends for the other kinds berth
// serves (Pod, Node, Event, Lease, EndpointSlice...). Only decoding: kubectl accepts JSON answers to every such request
// (kubectl-wire.md 4.3), so berth never writes protobuf objects.
//
// Envelope (protobuf-fields.md §2): the magic bytes "k8s\0", then runtime.Unknown
// {1: typeMeta {1: apiVersion, 2: kind}, 2: raw (the object message), 3: contentEncoding,
// 4: contentType}. The messages are a table (messages.ts, mostly generated from kubernetes/api's
// struct tags) read by a hand-written wire reader (wire.ts): a generic schema-driven walk is
// smaller than generated protobufjs classes for ~190 messages, and it applies Kubernetes'
// value/pointer rules while it decodes.
import type { KubeObject } from '../resources/types.js';
import { decodeMessage } from './decode.js';
import { TOP_LEVEL } from './messages.js';
import { ProtobufDecodeError, WIRE_LEN, readFields } from './wire.js';

export { ProtobufDecodeError } from './wire.js';

/** The media type of Kubernetes protobuf bodies. */
export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body: "k8s\0". */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const utf8 = new TextDecoder('utf-8');

/** Whether a Content-Type header names the Kubernetes protobuf encoding (parameters ignored). */
export function isKubernetesProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === KUBERNETES_PROTOBUF;
}

/** The apiVersion/kind pairs this module can decode, e.g. 'v1/Secret', 'apps/v1/Deployment'. */
export function decodableKinds(): string[] {
  return Object.keys(TOP_LEVEL);
}

/**
 * Decodes a Kubernetes protobuf request body into the JSON object the API would have received
 * as application/json, with apiVersion and kind from the envelope. Called by the API server core
 * for POST/PUT bodies sent as application/vnd.kubernetes.protobuf; it should check the result's
 * apiVersion/kind against the endpoint, as upstream does.
 * @throws ProtobufDecodeError for a bad prefix, malformed data, a content encoding, or a kind
 *   this module has no message table for (the core answers 415).
 */
export function decodeKubernetesProtobuf(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    // Upstream's wording (apimachinery runtime/serializer/protobuf).
    throw new ProtobufDecodeError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  if (body.length === 4) throw new ProtobufDecodeError('empty body');
  let apiVersion = '';
  let kind = '';
  let contentEncoding = '';
  const raw: Uint8Array[] = [];
  for (const f of readFields(body.subarray(4))) {
    if (f.wireType !== WIRE_LEN) continue;
    const bytes = f.bytes as Uint8Array;
    if (f.num === 1) {
      for (const t of readFields(bytes)) {
        if (t.wireType !== WIRE_LEN) continue;
        if (t.num === 1) apiVersion = utf8.decode(t.bytes);
        else if (t.num === 2) kind = utf8.decode(t.bytes);
      }
    } else if (f.num === 2) raw.push(bytes);
    else if (f.num === 3) contentEncoding = utf8.decode(bytes);
  }
  if (contentEncoding !== '') throw new ProtobufDecodeError(`unsupported protobuf content encoding "${contentEncoding}"`);
  if (!kind) throw new ProtobufDecodeError('protobuf envelope has no kind');
  const message = TOP_LEVEL[`${apiVersion}/${kind}`];
  if (!message) {
    throw new ProtobufDecodeError(`protobuf bodies of ${apiVersion}, Kind=${kind} are not supported; send application/json`);
  }
  const decoded = decodeMessage(message, Buffer.concat(raw), kind);
  const { metadata, ...rest } = decoded;
  return { apiVersion, kind, metadata: (metadata as KubeObject['metadata'] | undefined) ?? {}, ...rest };
}
