// Metadata in SQLite: WAL, busy_timeout and BEGIN IMMEDIATE for writers, so that many skiff
// processes at once see consistent state and a killed one leaves nothing half-written.
import { packageFile } from '../sys/package-file.js';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  name TEXT PRIMARY KEY,              -- docker.io/library/busybox:latest, or repo@sha256:… when pulled by digest
  repository TEXT NOT NULL,
  tag TEXT,
  digest TEXT NOT NULL,               -- what the reference resolved to (index or manifest)
  manifest_digest TEXT NOT NULL,      -- the platform's manifest
  config_digest TEXT NOT NULL,
  platform TEXT NOT NULL,
  created TEXT,                       -- from the image config
  size INTEGER NOT NULL,              -- unpacked bytes
  blob_size INTEGER NOT NULL,         -- compressed bytes (manifest + config + layers)
  layers TEXT NOT NULL,               -- JSON [{digest, diffId, chainId, size, mediaType}]
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS images_config ON images(config_digest);
CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  chain_id TEXT NOT NULL UNIQUE,
  parent TEXT,
  diff_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS lease_resources (
  lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,                 -- 'blob' | 'snapshot'
  key TEXT NOT NULL,
  PRIMARY KEY (lease_id, kind, key)
);
CREATE TABLE IF NOT EXISTS containers (
  id TEXT PRIMARY KEY,                -- 64 hex digits
  name TEXT NOT NULL UNIQUE,          -- the constraint is what makes two 'run --name x' at once safe
  image TEXT NOT NULL,                -- as the user named it, for display
  image_id TEXT NOT NULL,             -- config digest
  layers TEXT NOT NULL,               -- JSON [chainId], bottom first: the snapshots the rootfs stacks
  command TEXT NOT NULL,              -- JSON argv, for display
  labels TEXT NOT NULL,               -- JSON {k: v}
  spec TEXT NOT NULL,                 -- JSON: how it was created (options), for start/restart/inspect
  state TEXT NOT NULL,                -- created | running | exited
  monitor TEXT,                       -- 'conmon' (detached) | 'skiff' (a foreground skiff waits)
  monitor_pid INTEGER,                -- the process that waits on it, and its start time (pids get reused)
  monitor_start INTEGER,
  pid INTEGER,                        -- container init pid while running
  pid_start INTEGER,                  -- and its start time: liveness from one /proc read
  exit_code INTEGER,
  auto_remove INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
`;

// Naming the addon spares better-sqlite3 the `bindings` package's search for it (it walks a
// list of build directories from a stack trace); the search remains the fallback.
let nativeBinding: string | null | undefined;
function addonPath(): string | null {
  if (nativeBinding === undefined) {
    nativeBinding = packageFile('better-sqlite3/build/Release/better_sqlite3.node') ?? null;
  }
  return nativeBinding;
}

export function openDb(file: string): Db {
  const addon = addonPath();
  const db = new Database(file, { timeout: 30_000, ...(addon ? { nativeBinding: addon } : {}) });
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  // WAL is a property of the file, set once: a store at the current version has it. Setting it
  // needs a lock for which SQLite does not wait (SQLITE_BUSY at once), so two commands opening
  // a new store together take turns here.
  if (version < SCHEMA_VERSION) busyRetry(() => db.pragma('journal_mode = WAL'));
  if (version < SCHEMA_VERSION) {
    immediate(db, () => {
      db.exec(SCHEMA);
      // Version 2 stores lack columns added since (CREATE TABLE IF NOT EXISTS keeps the old table).
      const columns = new Set((db.prepare('PRAGMA table_info(containers)').all() as { name: string }[]).map((c) => c.name));
      if (!columns.has('pid_start')) db.exec('ALTER TABLE containers ADD COLUMN pid_start INTEGER');
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
  }
  return db;
}

function busyRetry<T>(fn: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 400) throw err;
      Atomics.wait(pause, 0, 0, 25);
    }
  }
}

/** Runs fn in a BEGIN IMMEDIATE transaction: writers queue on the lock instead of failing mid-way. */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
