// Manifest parsing and validation for manifest PUT: OCI image manifest and index, Docker schema2
// manifest and manifest list. The registry stores the client's exact bytes; this module only
// decides whether to accept them and extracts what the content index records.
import { RegistryError } from './errors.js';
import { parseDigest } from './names.js';

/** The manifest media types accepted on PUT (reference/registry.md 1.11). */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const KIND: Record<string, 'manifest' | 'index'> = {
  [MEDIA_TYPES.ociManifest]: 'manifest',
  [MEDIA_TYPES.dockerManifest]: 'manifest',
  [MEDIA_TYPES.ociIndex]: 'index',
  [MEDIA_TYPES.dockerList]: 'index',
};

/**
 * Largest manifest accepted: 4 MiB, as distribution (registry/handlers/manifests.go
 * maxManifestBodySize) and Harbor (src/common/const.go MaxManifestBodySize) cap it.
 */
export const MAX_MANIFEST_BYTES = 4 << 20;

/** A content descriptor as it appears in a manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** What the registry needs from a manifest it accepts. */
export interface ParsedManifest {
  mediaType: string;
  kind: 'manifest' | 'index';
  /** `artifactType`, else the config's media type (image manifests), as the referrers API reports. */
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  /** Blobs that must exist in the repository (config and distributable layers). */
  blobs: Descriptor[];
  /** Child manifests that must exist in the repository (index entries). */
  manifests: Descriptor[];
}

function invalid(message: string): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function annotationsOf(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where}: annotations must map strings to strings`);
  return v as Record<string, string>;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw invalid(`${where}: descriptor must be an object`);
  if (typeof v.mediaType !== 'string' || v.mediaType === '') throw invalid(`${where}: mediaType is required`);
  if (typeof v.digest !== 'string') throw invalid(`${where}: digest is required`);
  try {
    parseDigest(v.digest);
  } catch {
    throw invalid(`${where}: invalid digest`);
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(`${where}: size must be a non-negative integer`);
  if (v.artifactType !== undefined && typeof v.artifactType !== 'string') throw invalid(`${where}: artifactType must be a string`);
  return {
    mediaType: v.mediaType, digest: v.digest, size: v.size,
    artifactType: v.artifactType as string | undefined,
    annotations: annotationsOf(v.annotations, where),
  };
}

/**
 * Layers the registry need not hold: OCI non-distributable and Docker foreign layers are
 * fetched by clients from their `urls`, so a manifest may name them without pushing them.
 */
export function isNonDistributable(mediaType: string): boolean {
  return mediaType.includes('.nondistributable.') || mediaType.includes('.foreign.');
}

/** Strips parameters and case from a Content-Type header value. */
export function normalizeContentType(ct: string | undefined): string | undefined {
  const v = ct?.split(';')[0].trim().toLowerCase();
  return v ? v : undefined;
}

/**
 * Validates manifest bytes sent with `contentType`. Rejects (MANIFEST_INVALID): bad JSON,
 * schemaVersion other than 2, a body `mediaType` that differs from Content-Type or that we do not
 * accept (schema1 included), documents holding both `manifests` and `config`/`layers`
 * (CVE-2021-41190), malformed descriptors.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (!isObject(doc)) throw invalid('manifest must be a JSON object');
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const ct = normalizeContentType(contentType);
  if (doc.mediaType !== undefined && typeof doc.mediaType !== 'string') throw invalid('mediaType must be a string');
  const bodyType = doc.mediaType as string | undefined;
  if (bodyType !== undefined && ct !== undefined && bodyType !== ct) {
    throw invalid(`mediaType ${JSON.stringify(bodyType)} does not match Content-Type ${JSON.stringify(ct)}`);
  }
  const mediaType = bodyType ?? ct;
  if (mediaType === undefined || KIND[mediaType] === undefined) {
    throw invalid(`unsupported manifest media type ${JSON.stringify(mediaType ?? '')}`);
  }
  const kind = KIND[mediaType];
  if (doc.manifests !== undefined && (doc.layers !== undefined || doc.config !== undefined)) {
    throw invalid('a manifest cannot hold both manifests and config or layers');
  }
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') throw invalid('artifactType must be a string');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const annotations = annotationsOf(doc.annotations, 'manifest');
  if (kind === 'manifest') {
    if (doc.manifests !== undefined) throw invalid('an image manifest cannot hold manifests');
    const config = descriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw invalid('layers must be an array');
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    return {
      mediaType, kind, subject, annotations,
      artifactType: (doc.artifactType as string | undefined) ?? config.mediaType,
      blobs: [config, ...layers.filter((l) => !isNonDistributable(l.mediaType))],
      manifests: [],
    };
  }
  if (doc.layers !== undefined || doc.config !== undefined) throw invalid('an index cannot hold config or layers');
  if (!Array.isArray(doc.manifests)) throw invalid('manifests must be an array');
  const manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  return { mediaType, kind, subject, annotations, artifactType: doc.artifactType as string | undefined, blobs: [], manifests };
}
