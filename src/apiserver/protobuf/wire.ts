// A small proto2 wire-format reader: splits a message into its fields without knowing the schema.
// Hand-written rather than protobufjs's Reader so that 64-bit varints come back as exact BigInts
// and every malformed input becomes one ProtobufDecodeError with a message the API can return.

/** Thrown for any body that cannot be decoded; the API server answers it with 415. */
export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

/** Wire types (protobuf encoding spec): varint, 64-bit, length-delimited, 32-bit. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** One field occurrence: a varint value, or the raw bytes of the other wire types. */
export interface WireField {
  num: number;
  wireType: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** Reads one varint at `pos`; returns the value and the position after it. */
export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufDecodeError('unexpected end of data in varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, result), pos];
    shift += 7n;
  }
  throw new ProtobufDecodeError('varint longer than 10 bytes');
}

/** Splits an encoded message into its field occurrences, in wire order. */
export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = readVarint(buf, pos);
    pos = next;
    if (tag > 0xffffffffn) throw new ProtobufDecodeError('field tag out of range');
    const wireType = Number(tag & 7n);
    const num = Number(tag >> 3n);
    if (num === 0) throw new ProtobufDecodeError('illegal field number 0');
    switch (wireType) {
      case WIRE_VARINT: {
        const [v, after] = readVarint(buf, pos);
        pos = after;
        out.push({ num, wireType, varint: v });
        break;
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const size = wireType === WIRE_FIXED64 ? 8 : 4;
        if (pos + size > buf.length) throw new ProtobufDecodeError(`unexpected end of data in field ${num}`);
        out.push({ num, wireType, bytes: buf.subarray(pos, pos + size) });
        pos += size;
        break;
      }
      case WIRE_LEN: {
        const [len, after] = readVarint(buf, pos);
        if (len > BigInt(buf.length - after)) throw new ProtobufDecodeError(`unexpected end of data in field ${num}`);
        pos = after + Number(len);
        out.push({ num, wireType, bytes: buf.subarray(after, pos) });
        break;
      }
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wireType} in field ${num}`);
    }
  }
  return out;
}
