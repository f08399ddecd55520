// The content index: which repositories exist, which blobs each repository may serve, manifests
// (their media type, size, subject and references), and tags. Bytes live in the blob driver; this
// index lives in the registry's shared SQLite file under the component name 'content'.
//
// A blob is visible in a repository only through a row in content_repo_blobs, written when an
// upload completes or a mount succeeds there (distribution's "linked blob" model), so a digest
// pushed elsewhere answers 404 here.
import type { ArtifactInfo, RegistryContent, RepositoryInfo } from './access.js';
import { migrate, type Db, type Migration } from './db.js';

/** Migrations of the 'content' component; append, never edit. */
export const CONTENT_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE content_repositories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE content_repo_blobs (
        repo_id INTEGER NOT NULL REFERENCES content_repositories(id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo_id, digest)
      ) WITHOUT ROWID;
      CREATE TABLE content_manifests (
        repo_id INTEGER NOT NULL REFERENCES content_repositories(id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        artifact_type TEXT,
        subject TEXT,
        annotations TEXT,
        pushed_at INTEGER NOT NULL,
        PRIMARY KEY (repo_id, digest)
      ) WITHOUT ROWID;
      CREATE INDEX content_manifests_subject ON content_manifests (repo_id, subject) WHERE subject IS NOT NULL;
      CREATE TABLE content_manifest_refs (
        repo_id INTEGER NOT NULL,
        manifest_digest TEXT NOT NULL,
        child_digest TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
        size INTEGER NOT NULL,
        PRIMARY KEY (repo_id, manifest_digest, child_digest, kind),
        FOREIGN KEY (repo_id, manifest_digest) REFERENCES content_manifests (repo_id, digest) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE TABLE content_tags (
        repo_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        digest TEXT NOT NULL,
        pushed_at INTEGER NOT NULL,
        PRIMARY KEY (repo_id, name),
        FOREIGN KEY (repo_id, digest) REFERENCES content_manifests (repo_id, digest) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX content_tags_digest ON content_tags (repo_id, digest);
      CREATE TABLE content_uploads (
        id TEXT PRIMARY KEY,
        repository TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];

/** A manifest as the index stores it. */
export interface ManifestRecord {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  pushedAt: number;
}

/** What a manifest PUT records. */
export interface ManifestWrite {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  /** Descriptors the manifest references (config, layers, or child manifests), subject excluded. */
  refs: Array<{ digest: string; kind: 'blob' | 'manifest'; size: number }>;
}

/** An upload session's persistent part (the hash state lives in memory, see upload.ts). */
export interface UploadRecord {
  id: string;
  repository: string;
  algorithm: string;
  startedAt: number;
  updatedAt: number;
}

interface ManifestRow {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  pushed_at: number;
}

function toRecord(r: ManifestRow): ManifestRecord {
  return {
    digest: r.digest,
    mediaType: r.media_type,
    size: r.size,
    artifactType: r.artifact_type ?? undefined,
    subject: r.subject ?? undefined,
    annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : undefined,
    pushedAt: r.pushed_at,
  };
}

/**
 * The content index over SQLite. Implements RegistryContent for Harbor's REST API; the
 * distribution server uses the rest. Every write is one transaction.
 */
export class ContentIndex implements RegistryContent {
  private readonly st;

  /** Applies the 'content' migrations to `db`. `now` is injectable for tests (ms since epoch). */
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {
    migrate(db, 'content', CONTENT_MIGRATIONS);
    this.st = {
      repoId: db.prepare('SELECT id FROM content_repositories WHERE name = ?').pluck(),
      repoInsert: db.prepare('INSERT INTO content_repositories (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at RETURNING id').pluck(),
      repoTouch: db.prepare('UPDATE content_repositories SET updated_at = ? WHERE id = ?'),
      blobGet: db.prepare('SELECT size FROM content_repo_blobs WHERE repo_id = ? AND digest = ?').pluck(),
      blobLink: db.prepare('INSERT INTO content_repo_blobs (repo_id, digest, size, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      blobUnlink: db.prepare('DELETE FROM content_repo_blobs WHERE repo_id = ? AND digest = ?'),
      blobAnyRepo: db.prepare('SELECT 1 FROM content_repo_blobs WHERE digest = ? LIMIT 1').pluck(),
      manifestGet: db.prepare('SELECT digest, media_type, size, artifact_type, subject, annotations, pushed_at FROM content_manifests WHERE repo_id = ? AND digest = ?'),
      manifestByTag: db.prepare('SELECT m.digest, m.media_type, m.size, m.artifact_type, m.subject, m.annotations, m.pushed_at FROM content_tags t JOIN content_manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest WHERE t.repo_id = ? AND t.name = ?'),
      manifestUpsert: db.prepare(`INSERT INTO content_manifests (repo_id, digest, media_type, size, artifact_type, subject, annotations, pushed_at)
        VALUES (@repo, @digest, @mediaType, @size, @artifactType, @subject, @annotations, @now)
        ON CONFLICT (repo_id, digest) DO UPDATE SET pushed_at = excluded.pushed_at`),
      manifestDelete: db.prepare('DELETE FROM content_manifests WHERE repo_id = ? AND digest = ?'),
      manifestsOf: db.prepare('SELECT digest, media_type, size, artifact_type, subject, annotations, pushed_at FROM content_manifests WHERE repo_id = ? ORDER BY pushed_at DESC, digest'),
      refInsert: db.prepare('INSERT INTO content_manifest_refs (repo_id, manifest_digest, child_digest, kind, size) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      refsOf: db.prepare('SELECT child_digest AS digest, kind, size FROM content_manifest_refs WHERE repo_id = ? AND manifest_digest = ?'),
      tagUpsert: db.prepare('INSERT INTO content_tags (repo_id, name, digest, pushed_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo_id, name) DO UPDATE SET digest = excluded.digest, pushed_at = excluded.pushed_at'),
      tagDelete: db.prepare('DELETE FROM content_tags WHERE repo_id = ? AND name = ?'),
      tagsOfDigest: db.prepare('SELECT name, pushed_at FROM content_tags WHERE repo_id = ? AND digest = ? ORDER BY name'),
      tagsPage: db.prepare('SELECT name FROM content_tags WHERE repo_id = ? AND name > ? ORDER BY name LIMIT ?').pluck(),
      catalogPage: db.prepare('SELECT name FROM content_repositories WHERE name > ? ORDER BY name LIMIT ?').pluck(),
      referrers: db.prepare('SELECT digest, media_type, size, artifact_type, subject, annotations, pushed_at FROM content_manifests WHERE repo_id = ? AND subject = ? AND digest > ? ORDER BY digest LIMIT ?'),
      referrersOfType: db.prepare('SELECT digest, media_type, size, artifact_type, subject, annotations, pushed_at FROM content_manifests WHERE repo_id = ? AND subject = ? AND digest > ? AND artifact_type = ? ORDER BY digest LIMIT ?'),
      reposWithArtifacts: db.prepare(`SELECT r.name, r.created_at, r.updated_at, COUNT(m.digest) AS n FROM content_repositories r
        JOIN content_manifests m ON m.repo_id = r.id GROUP BY r.id ORDER BY r.name`),
      repoDelete: db.prepare('DELETE FROM content_repositories WHERE id = ?'),
      uploadInsert: db.prepare('INSERT INTO content_uploads (id, repository, algorithm, started_at, updated_at) VALUES (@id, @repository, @algorithm, @startedAt, @updatedAt)'),
      uploadGet: db.prepare('SELECT id, repository, algorithm, started_at AS startedAt, updated_at AS updatedAt FROM content_uploads WHERE id = ?'),
      uploadTouch: db.prepare('UPDATE content_uploads SET updated_at = ? WHERE id = ?'),
      uploadDelete: db.prepare('DELETE FROM content_uploads WHERE id = ?'),
      uploadsAll: db.prepare('SELECT id, repository, algorithm, started_at AS startedAt, updated_at AS updatedAt FROM content_uploads'),
    };
  }

  /** The repository's id, or undefined when it has no content. */
  repositoryId(name: string): number | undefined {
    return this.st.repoId.get(name) as number | undefined;
  }

  /** Creates the repository row when absent; returns its id. */
  ensureRepository(name: string): number {
    const t = this.now();
    return this.st.repoInsert.get(name, t, t) as number;
  }

  /** Size of `digest` when it is linked into `repository`, else undefined. */
  linkedBlobSize(repository: string, digest: string): number | undefined {
    const id = this.repositoryId(repository);
    if (id === undefined) return undefined;
    return this.st.blobGet.get(id, digest) as number | undefined;
  }

  /** Makes `digest` visible in `repository` (after an upload completed there or a mount). */
  linkBlob(repository: string, digest: string, size: number): void {
    this.db.transaction(() => {
      const id = this.ensureRepository(repository);
      this.st.blobLink.run(id, digest, size, this.now());
    })();
  }

  /** Hides `digest` from `repository`; false when it was not linked. */
  unlinkBlob(repository: string, digest: string): boolean {
    const id = this.repositoryId(repository);
    if (id === undefined) return false;
    return this.st.blobUnlink.run(id, digest).changes > 0;
  }

  /** True when any repository links `digest` (the blob's bytes are still needed). */
  blobInUse(digest: string): boolean {
    return this.st.blobAnyRepo.get(digest) !== undefined;
  }

  /** A manifest by digest or, when `reference` is not a digest, by tag. */
  getManifest(repository: string, reference: string): ManifestRecord | undefined {
    const id = this.repositoryId(repository);
    if (id === undefined) return undefined;
    const row = (reference.includes(':') ? this.st.manifestGet.get(id, reference) : this.st.manifestByTag.get(id, reference)) as ManifestRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /**
   * Records a pushed manifest, links its bytes as a blob of the repository, and points `tags` at
   * it (a tag may move to a manifest of another media type). One transaction.
   */
  putManifest(repository: string, m: ManifestWrite, tags: string[]): void {
    this.db.transaction(() => {
      const repo = this.ensureRepository(repository);
      const t = this.now();
      this.st.manifestUpsert.run({
        repo, digest: m.digest, mediaType: m.mediaType, size: m.size, artifactType: m.artifactType ?? null,
        subject: m.subject ?? null, annotations: m.annotations ? JSON.stringify(m.annotations) : null, now: t,
      });
      for (const r of m.refs) this.st.refInsert.run(repo, m.digest, r.digest, r.kind, r.size);
      this.st.blobLink.run(repo, m.digest, m.size, t);
      for (const tag of tags) this.st.tagUpsert.run(repo, tag, m.digest, t);
      this.st.repoTouch.run(t, repo);
    })();
  }

  /** Deletes a manifest by digest with every tag pointing at it; false when absent. */
  deleteManifest(repository: string, digest: string): boolean {
    const id = this.repositoryId(repository);
    if (id === undefined) return false;
    return this.db.transaction(() => {
      const gone = this.st.manifestDelete.run(id, digest).changes > 0;
      if (gone) {
        this.st.blobUnlink.run(id, digest);
        this.st.repoTouch.run(this.now(), id);
      }
      return gone;
    })();
  }

  /** Tags of `repository` after `last` in byte order, at most `n`; undefined when the repository is unknown. */
  listTags(repository: string, n: number, last = ''): string[] | undefined {
    const id = this.repositoryId(repository);
    if (id === undefined) return undefined;
    return this.st.tagsPage.all(id, last, n) as string[];
  }

  /** Repository names after `last`, at most `n`. */
  listCatalog(n: number, last = ''): string[] {
    return this.st.catalogPage.all(last, n) as string[];
  }

  /**
   * Manifests of `repository` whose subject is `digest` (optionally only those of `artifactType`),
   * ordered by digest, after `after`, at most `n`.
   */
  referrers(repository: string, digest: string, n: number, after = '', artifactType?: string): ManifestRecord[] {
    const id = this.repositoryId(repository);
    if (id === undefined) return [];
    const rows = artifactType === undefined
      ? this.st.referrers.all(id, digest, after, n)
      : this.st.referrersOfType.all(id, digest, after, artifactType, n);
    return (rows as ManifestRow[]).map(toRecord);
  }

  /** Records a new upload session. */
  insertUpload(u: UploadRecord): void {
    this.st.uploadInsert.run(u);
  }

  /** An upload session, or undefined. */
  getUpload(id: string): UploadRecord | undefined {
    return this.st.uploadGet.get(id) as UploadRecord | undefined;
  }

  /** Marks activity on an upload (expiry counts from the last activity). */
  touchUpload(id: string, at: number): void {
    this.st.uploadTouch.run(at, id);
  }

  /** Forgets an upload session. */
  deleteUpload(id: string): void {
    this.st.uploadDelete.run(id);
  }

  /** Every upload session. */
  listUploads(): UploadRecord[] {
    return this.st.uploadsAll.all() as UploadRecord[];
  }

  // RegistryContent (Harbor's REST API reads and deletes through these).

  /** {@inheritDoc RegistryContent.listRepositories} Repositories holding at least one artifact. */
  listRepositories(): RepositoryInfo[] {
    return (this.st.reposWithArtifacts.all() as Array<{ name: string; created_at: number; updated_at: number; n: number }>).map((r) => ({
      name: r.name, artifactCount: r.n, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
    }));
  }

  private artifactSize(repo: number, m: { digest: string; size: number }, depth: number): number {
    let size = m.size;
    for (const r of this.st.refsOf.all(repo, m.digest) as Array<{ digest: string; kind: string; size: number }>) {
      if (r.kind === 'manifest' && depth < 4) {
        const child = this.st.manifestGet.get(repo, r.digest) as ManifestRow | undefined;
        size += child ? this.artifactSize(repo, child, depth + 1) : r.size;
      } else {
        size += r.size;
      }
    }
    return size;
  }

  private toArtifact(repository: string, repo: number, r: ManifestRow): ArtifactInfo {
    return {
      repository,
      digest: r.digest,
      mediaType: r.media_type,
      size: this.artifactSize(repo, r, 0),
      pushedAt: new Date(r.pushed_at),
      tags: (this.st.tagsOfDigest.all(repo, r.digest) as Array<{ name: string; pushed_at: number }>).map((t) => ({ name: t.name, pushedAt: new Date(t.pushed_at) })),
    };
  }

  /** {@inheritDoc RegistryContent.listArtifacts} */
  listArtifacts(repository: string): ArtifactInfo[] {
    const id = this.repositoryId(repository);
    if (id === undefined) return [];
    return (this.st.manifestsOf.all(id) as ManifestRow[]).map((r) => this.toArtifact(repository, id, r));
  }

  /** {@inheritDoc RegistryContent.getArtifact} */
  getArtifact(repository: string, reference: string): ArtifactInfo | undefined {
    const id = this.repositoryId(repository);
    if (id === undefined) return undefined;
    const row = (reference.includes(':') ? this.st.manifestGet.get(id, reference) : this.st.manifestByTag.get(id, reference)) as ManifestRow | undefined;
    return row ? this.toArtifact(repository, id, row) : undefined;
  }

  /** {@inheritDoc RegistryContent.deleteArtifact} */
  deleteArtifact(repository: string, digest: string): boolean {
    return this.deleteManifest(repository, digest);
  }

  /** {@inheritDoc RegistryContent.deleteTag} */
  deleteTag(repository: string, tag: string): boolean {
    const id = this.repositoryId(repository);
    if (id === undefined) return false;
    return this.st.tagDelete.run(id, tag).changes > 0;
  }

  /** {@inheritDoc RegistryContent.deleteRepository} */
  deleteRepository(repository: string): boolean {
    const id = this.repositoryId(repository);
    if (id === undefined) return false;
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM content_tags WHERE repo_id = ?').run(id);
      this.db.prepare('DELETE FROM content_manifest_refs WHERE repo_id = ?').run(id);
      this.db.prepare('DELETE FROM content_manifests WHERE repo_id = ?').run(id);
      return this.st.repoDelete.run(id).changes > 0;
    })();
  }
}
