// Content negotiation: which representation an Accept header asks for (JSON, YAML, a meta.k8s.io
// Table, PartialObjectMetadata) and how a request body is encoded. Responses are always JSON or
// YAML: kubectl offers application/json as a fallback on every protobuf-preferring request
// (kubectl-wire.md 4.3), so protobuf is only ever decoded, never produced.

/** One media range of an Accept header, with its parameters lower-cased. */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

/** Splits an Accept (or Content-Type) header into media ranges, keeping their order. */
export function parseMediaRanges(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [t, ...ps] = part.split(';');
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i < 0) continue;
      params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"|"$/g, '');
    }
    return { type: t.trim().toLowerCase(), params };
  }).filter((m) => m.type !== '');
}

/** What the response body should be. */
export interface ResponseFormat {
  /** Serialization. */
  encoding: 'json' | 'yaml';
  /** `Table` (meta.k8s.io v1 or v1beta1), `PartialObjectMetadata`, or the plain object. */
  as: 'Table' | 'PartialObjectMetadata' | 'Object';
  /** meta.k8s.io version for Table/PartialObjectMetadata answers. */
  metaVersion: 'v1' | 'v1beta1';
  /** The Content-Type header to send. */
  contentType: string;
}

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);

/**
 * Picks the first acceptable media range of `accept` (upstream serves in the client's order of
 * preference, ignoring q). Returns undefined when nothing is acceptable (a 406). An absent or
 * empty Accept means JSON.
 */
export function negotiateResponse(accept: string | undefined): ResponseFormat | undefined {
  const ranges = parseMediaRanges(accept);
  if (ranges.length === 0) return { encoding: 'json', as: 'Object', metaVersion: 'v1', contentType: 'application/json' };
  for (const r of ranges) {
    const encoding = JSON_TYPES.has(r.type) ? 'json' : r.type === 'application/yaml' ? 'yaml' : undefined;
    if (!encoding) continue;
    const as = r.params.as;
    if (!as) {
      return { encoding, as: 'Object', metaVersion: 'v1', contentType: encoding === 'json' ? 'application/json' : 'application/yaml' };
    }
    if (r.params.g !== 'meta.k8s.io') continue;
    const v = r.params.v;
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table') {
      return { encoding, as: 'Table', metaVersion: v, contentType: `application/${encoding};as=Table;v=${v};g=meta.k8s.io` };
    }
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      return { encoding, as: 'PartialObjectMetadata', metaVersion: v, contentType: `application/${encoding};as=${as};v=${v};g=meta.k8s.io` };
    }
  }
  return undefined;
}

/** How a request body is encoded, from its Content-Type (missing means JSON, as kubectl's PUT /scale needs). */
export type BodyEncoding = 'json' | 'yaml' | 'protobuf' | 'strategic-merge' | 'merge' | 'json-patch' | 'apply' | 'unsupported';

/** Classifies a request Content-Type. */
export function bodyEncoding(contentType: string | undefined): BodyEncoding {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  switch (t) {
    case '':
    case 'application/json':
      return 'json';
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml':
      return 'yaml';
    case 'application/vnd.kubernetes.protobuf':
      return 'protobuf';
    case 'application/strategic-merge-patch+json':
      return 'strategic-merge';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json-patch';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply';
    default:
      return 'unsupported';
  }
}
