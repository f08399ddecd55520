// The minimal protobuf /openapi/v2 document (kubectl-wire.md 2.3): a gnostic openapi_v2.Document
// holding only `swagger` (field 1) and `info` (field 2: title 1, version 2). kubectl accepts it,
// finds no definitions, and so skips client-side validation and uses the strategic-merge
// metadata compiled into it for `apply`.

/** Content-Type for the protobuf v2 document; Go's mime parser rejects the '@' form kubectl sends in Accept. */
export const OPENAPI_V2_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(payload.length)]), payload]);
}

/** Encodes Document{swagger: "2.0", info: {title, version}}; length prefixes computed from the strings. */
export function encodeMinimalOpenApiV2(title: string, version: string): Buffer {
  const info = Buffer.concat([lengthDelimited(1, Buffer.from(title)), lengthDelimited(2, Buffer.from(version))]);
  return Buffer.concat([lengthDelimited(1, Buffer.from('2.0')), lengthDelimited(2, info)]);
}
