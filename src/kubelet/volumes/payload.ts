// The files of secret, configMap and downwardAPI volumes (and of the same sources inside a
// projected volume), with upstream's selection rules and error texts (k/k pkg/volume/secret
// MakePayload, pkg/volume/configmap MakePayload, pkg/volume/downwardapi CollectData).
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { normalize } from 'node:path';
import { containerResourceValue, extractFieldPathAsString, findContainer, type NodeAllocatable } from '../podconfig/index.js';
import type { FileProjection } from './atomic-writer.js';

/** A payload that cannot be built; the message is upstream's. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

function select(data: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, missing: (key: string) => string): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  if (!items?.length) {
    for (const [k, v] of data) out.set(k, { data: v, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const v = data.get(item.key);
    if (v === undefined) {
      if (optional) continue;
      throw new PayloadError(missing(item.key));
    }
    out.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
  return out;
}

/** A secret's files: every key, or the listed items (a missing key fails unless optional). */
export function secretPayload(secret: Secret | undefined, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean): Map<string, FileProjection> {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret?.data ?? {})) data.set(k, Buffer.from(v, 'base64'));
  return select(data, items, defaultMode, optional, (k) => `references non-existent secret key: ${k}`);
}

/** A ConfigMap's files from data and binaryData. */
export function configMapPayload(cm: ConfigMap | undefined, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean): Map<string, FileProjection> {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm?.data ?? {})) data.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) data.set(k, Buffer.from(v, 'base64'));
  return select(data, items, defaultMode, optional, (k) => `configmap references non-existent config key: ${k}`);
}

/**
 * Downward API files. Every item is tried; failures are aggregated as upstream's
 * utilerrors.NewAggregate prints them (one message, or `[a, b]`).
 */
export function downwardApiPayload(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, defaultMode: number, node: NodeAllocatable): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  const errs: string[] = [];
  for (const item of items ?? []) {
    const mode = item.mode ?? defaultMode;
    let value = '';
    try {
      if (item.fieldRef) value = extractFieldPathAsString(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) {
        const c = findContainer(pod, item.resourceFieldRef.containerName ?? '');
        value = containerResourceValue(item.resourceFieldRef, c, node);
      }
    } catch (e) {
      errs.push((e as Error).message);
    }
    out.set(normalize(item.path), { data: Buffer.from(value, 'utf8'), mode });
  }
  if (errs.length) throw new PayloadError(aggregate(errs));
  return out;
}

/** utilerrors.NewAggregate(...).Error(): the single message, or `[a, b, ...]`. */
export function aggregate(messages: string[]): string {
  const uniq = [...new Set(messages)];
  return uniq.length === 1 ? uniq[0] : `[${uniq.join(', ')}]`;
}
