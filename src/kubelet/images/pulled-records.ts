// Private images stay private on a shared node (issue kubernetes#18787; KEP-2535 "Ensure Secret
// Pulled Images", reference kubelet-images.md §5.3). The kubelet records, per image ID, who pulled
// it with which credentials; a pod may then use the cached image with IfNotPresent or Never only
// if it was pulled anonymously or with node credentials, or the pod presents a pull secret that
// was verified for it (by coordinates, or by credential hash). Records live on disk under
// `<root>/image_manager/` so they survive restarts:
//
//   pulling/sha256-<sha256(image)>    an intent, written before a pull and removed after it
//   pulled/sha256-<sha256(imageRef)>  the record {lastUpdatedTime, imageRef, credentialMapping}
//
// Read errors fail safe: an unreadable record means the pod must verify (pull).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Credential, SecretCoordinates } from '../credentials/keyring.js';

/** kubelet `imagePullCredentialsVerificationPolicy` values. */
export type VerificationPolicy = 'NeverVerify' | 'NeverVerifyPreloadedImages' | 'NeverVerifyAllowlistedImages' | 'AlwaysVerify';

/** Who may use an image under one repository name. */
export interface CredentialMapping {
  kubernetesSecretCoordinates?: (SecretCoordinates & { credentialHash: string })[];
  /** Pulled anonymously or with node credentials: every pod on the node may use it. */
  nodePodsAccessible?: boolean;
}

/** The pulled record of one image ID (upstream's ImagePulledRecord). */
export interface PulledRecord {
  lastUpdatedTime: string;
  imageRef: string;
  /** Repository without tag or digest -> who may use it. */
  credentialMapping: Record<string, CredentialMapping>;
}

/** Upstream keeps at most this many secret coordinates per image. */
export const MAX_COORDINATES_PER_IMAGE = 100;

/** Storage of intents and records. */
export interface PullRecordStore {
  /** The record for an image ID; `'unreadable'` when it exists but cannot be read. */
  getPulled(imageRef: string): PulledRecord | undefined | 'unreadable';
  /** Writes a record, replacing the previous one. */
  putPulled(rec: PulledRecord): void;
  /** Whether a pull of `image` was started and not finished (a crash mid-pull leaves one). */
  hasIntent(image: string): boolean;
  /** Records that a pull of `image` starts. */
  writeIntent(image: string): void;
  /** Records that the pull of `image` ended. */
  deleteIntent(image: string): void;
}

const fileName = (s: string): string => `sha256-${createHash('sha256').update(s).digest('hex')}`;

/** Records as JSON files under `<dir>/pulling` and `<dir>/pulled`. */
export class FsPullRecordStore implements PullRecordStore {
  /** `dir` is `<kubelet root>/image_manager`; created on first write. */
  constructor(private readonly dir: string) {}

  private write(sub: string, name: string, body: string): void {
    const d = join(this.dir, sub);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    const tmp = join(d, `.${name}.tmp`);
    writeFileSync(tmp, body, { mode: 0o600 });
    renameSync(tmp, join(d, name));
  }

  /** {@inheritDoc PullRecordStore.getPulled} */
  getPulled(imageRef: string): PulledRecord | undefined | 'unreadable' {
    const f = join(this.dir, 'pulled', fileName(imageRef));
    if (!existsSync(f)) return undefined;
    try {
      const rec = JSON.parse(readFileSync(f, 'utf8')) as PulledRecord;
      return rec.imageRef === imageRef && rec.credentialMapping && typeof rec.credentialMapping === 'object' ? rec : 'unreadable';
    } catch {
      return 'unreadable';
    }
  }

  /** {@inheritDoc PullRecordStore.putPulled} */
  putPulled(rec: PulledRecord): void {
    this.write('pulled', fileName(rec.imageRef), JSON.stringify(rec));
  }

  /** {@inheritDoc PullRecordStore.hasIntent} */
  hasIntent(image: string): boolean {
    return existsSync(join(this.dir, 'pulling', fileName(image)));
  }

  /** {@inheritDoc PullRecordStore.writeIntent} */
  writeIntent(image: string): void {
    this.write('pulling', fileName(image), JSON.stringify({ image }));
  }

  /** {@inheritDoc PullRecordStore.deleteIntent} */
  deleteIntent(image: string): void {
    rmSync(join(this.dir, 'pulling', fileName(image)), { force: true });
  }
}

/** Records in memory, for tests and for a kubelet with no root dir. */
export class MemoryPullRecordStore implements PullRecordStore {
  /** Records by image ID (inspectable by tests). */
  readonly pulled = new Map<string, PulledRecord>();
  /** Pending intents. */
  readonly intents = new Set<string>();

  /** {@inheritDoc PullRecordStore.getPulled} */
  getPulled(imageRef: string): PulledRecord | undefined {
    const r = this.pulled.get(imageRef);
    return r && structuredClone(r);
  }

  /** {@inheritDoc PullRecordStore.putPulled} */
  putPulled(rec: PulledRecord): void {
    this.pulled.set(rec.imageRef, structuredClone(rec));
  }

  /** {@inheritDoc PullRecordStore.hasIntent} */
  hasIntent(image: string): boolean {
    return this.intents.has(image);
  }

  /** {@inheritDoc PullRecordStore.writeIntent} */
  writeIntent(image: string): void {
    this.intents.add(image);
  }

  /** {@inheritDoc PullRecordStore.deleteIntent} */
  deleteIntent(image: string): void {
    this.intents.delete(image);
  }
}

/** The hash a credential is recorded under (never the credential itself). */
export function credentialHash(c: Pick<Credential, 'username' | 'password'>): string {
  return createHash('sha256').update(JSON.stringify([c.username, c.password])).digest('hex');
}

/**
 * Whether `repository` is on the preloaded-images allowlist: entries are names without tag or
 * digest, and a `/*` suffix allows every repository one path segment below (KEP-2535).
 */
export function allowlisted(repository: string, allowlist: string[]): boolean {
  return allowlist.some((e) => {
    if (e.endsWith('/*')) {
      const prefix = e.slice(0, -1);
      return repository.startsWith(prefix) && !repository.slice(prefix.length).includes('/');
    }
    return e === repository;
  });
}

/** What a pod presents for a present image: its pull-secret credentials matching the image. */
export interface PodCredentials {
  /** Credentials from the pod's secrets that match the image (keyring lookup, pod part). */
  secretCredentials: Credential[];
}

/** The verdict for a present image. */
export type AccessDecision =
  | { mustPull: false; /** A record to write (a hash matched under new coordinates). */ update?: PulledRecord }
  | { mustPull: true };

/**
 * MustAttemptImagePull: may the pod use the present image `imageRef` (known as `repository`)
 * without pulling? Pure over the store's answers.
 */
export function decideAccess(args: {
  policy: VerificationPolicy;
  allowlist?: string[];
  repository: string;
  image: string;
  imageRef: string;
  record: PulledRecord | undefined | 'unreadable';
  intent: boolean;
  pod: PodCredentials;
  now: () => number;
}): AccessDecision {
  if (args.policy === 'NeverVerify') return { mustPull: false };
  const rec = args.record;
  if (rec === 'unreadable') return { mustPull: true };
  if (!rec) {
    if (args.intent) return { mustPull: true };
    switch (args.policy) {
      case 'NeverVerifyPreloadedImages':
        return { mustPull: false };
      case 'NeverVerifyAllowlistedImages':
        return { mustPull: !allowlisted(args.repository, args.allowlist ?? []) };
      default:
        return { mustPull: true };
    }
  }
  const mapping = rec.credentialMapping[args.repository];
  if (!mapping) return { mustPull: true };
  if (mapping.nodePodsAccessible) return { mustPull: false };
  const coords = mapping.kubernetesSecretCoordinates ?? [];
  for (const c of args.pod.secretCredentials) {
    const s = c.source;
    if (s && coords.some((k) => k.namespace === s.namespace && k.name === s.name && k.uid === s.uid)) return { mustPull: false };
  }
  for (const c of args.pod.secretCredentials) {
    const h = credentialHash(c);
    if (coords.some((k) => k.credentialHash === h)) {
      const update = structuredClone(rec);
      const m = update.credentialMapping[args.repository];
      if (c.source && (m.kubernetesSecretCoordinates ?? []).length < MAX_COORDINATES_PER_IMAGE) {
        (m.kubernetesSecretCoordinates ??= []).push({ ...c.source, credentialHash: h });
        update.lastUpdatedTime = new Date(args.now()).toISOString();
      }
      return { mustPull: false, update };
    }
  }
  return { mustPull: true };
}

/**
 * The record after a successful pull of `imageRef` as `repository` with `credential` (none:
 * anonymous). Anonymous and node-credential pulls make the image usable by every pod.
 */
export function recordPull(prev: PulledRecord | undefined | 'unreadable', imageRef: string, repository: string, credential: Credential | undefined, now: () => number): PulledRecord {
  const rec: PulledRecord = prev && prev !== 'unreadable' ? structuredClone(prev) : { lastUpdatedTime: '', imageRef, credentialMapping: {} };
  rec.lastUpdatedTime = new Date(now()).toISOString();
  const m = (rec.credentialMapping[repository] ??= {});
  if (!credential?.source) {
    m.nodePodsAccessible = true;
    return rec;
  }
  const h = credentialHash(credential);
  const list = (m.kubernetesSecretCoordinates ??= []);
  const s = credential.source;
  const same = list.find((k) => k.namespace === s.namespace && k.name === s.name && k.uid === s.uid);
  if (same) same.credentialHash = h;
  else if (list.length < MAX_COORDINATES_PER_IMAGE) list.push({ ...s, credentialHash: h });
  return rec;
}
