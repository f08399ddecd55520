// The registry's metadata database: one SQLite file (DIR/registry.db) shared by the registry's
// parts. Each part owns its tables and registers its own numbered migrations under its own name,
// so parts evolve independently: schema_migrations(component, version).
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface Migration {
  version: number;
  /** SQL run once, inside a transaction. */
  up: string;
}

/** Opens (creating) the database with WAL, foreign keys and a busy timeout. */
export function openRegistryDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))');
  return db;
}

/** Applies, in order, each migration of `component` not yet applied. Idempotent. */
export function migrate(db: Db, component: string, migrations: Migration[]): void {
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations WHERE component = ?').all(component) as Array<{ version: number }>).map((r) => r.version),
  );
  const mark = db.prepare('INSERT INTO schema_migrations (component, version) VALUES (?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.up);
      mark.run(component, m.version);
    })();
  }
}
