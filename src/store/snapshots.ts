// Unpacked layers, one directory per chainID, shared by every image that has that chain.
// A snapshot is unpacked into a private tmp directory and becomes visible only by a rename
// inside a write transaction, so a killed unpack never looks complete.
import { randomHex } from '../sys/random.js';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../oci/digest.js';
import { type Db, immediate } from './db.js';
import { type StorePaths, snapshotDir } from './paths.js';

export interface SnapshotRecord {
  id: number;
  chainId: Digest;
  parent: Digest | null;
  diffId: Digest;
  size: number;
  dir: string;
}

interface Row { id: number; chain_id: string; parent: string | null; diff_id: string; size: number }

export class SnapshotStore {
  constructor(private readonly paths: StorePaths, private readonly db: Db) {}

  get(chainId: Digest): SnapshotRecord | undefined {
    const row = this.db.prepare('SELECT id, chain_id, parent, diff_id, size FROM snapshots WHERE chain_id = ?').get(chainId) as Row | undefined;
    if (!row) return undefined;
    const rec = this.toRecord(row);
    return existsSync(rec.dir) ? rec : undefined;
  }

  /** A fresh private directory to unpack into. Its name says which process owns it. */
  prepare(): string {
    const dir = join(this.paths.snapshots, `tmp-${process.pid}-${randomHex(4)}`);
    mkdirSync(dir, { mode: 0o755 });
    return dir;
  }

  /** Publishes an unpacked directory; when another process won the race, theirs is kept and ours discarded. */
  commit(tmp: string, meta: { chainId: Digest; parent: Digest | null; diffId: Digest; size: number }): SnapshotRecord {
    const rec = immediate(this.db, () => {
      const existing = this.db.prepare('SELECT id, chain_id, parent, diff_id, size FROM snapshots WHERE chain_id = ?').get(meta.chainId) as Row | undefined;
      if (existing && existsSync(snapshotDir(this.paths, existing.id))) return { rec: this.toRecord(existing), won: false, trash: undefined };
      if (existing) this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(existing.id);
      const info = this.db
        .prepare('INSERT INTO snapshots (chain_id, parent, diff_id, size, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(meta.chainId, meta.parent, meta.diffId, meta.size, Date.now());
      const id = Number(info.lastInsertRowid);
      const trash = this.publish(tmp, snapshotDir(this.paths, id));
      return { rec: { id, ...meta, dir: snapshotDir(this.paths, id) }, won: true, trash };
    });
    if (!rec.won) this.discard(tmp);
    if (rec.trash) this.discard(rec.trash);
    return rec.rec;
  }

  /**
   * Renames an unpacked directory into place. A directory already there has no record (the id
   * is fresh): a process killed between its rename and its commit left it, and SQLite may hand
   * out a rolled-back id again. It is moved aside as trash, which the sweep removes.
   */
  private publish(tmp: string, dest: string): string | undefined {
    try {
      renameSync(tmp, dest);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const trash = join(this.paths.snapshots, `trash-${process.pid}-${randomHex(4)}`);
      renameSync(dest, trash);
      renameSync(tmp, dest);
      return trash;
    }
  }

  /** Empties a private directory for another attempt. */
  reset(tmp: string): string {
    this.discard(tmp);
    mkdirSync(tmp, { mode: 0o755 });
    return tmp;
  }

  discard(tmp: string): void {
    rmSync(tmp, { recursive: true, force: true });
  }

  all(): SnapshotRecord[] {
    return (this.db.prepare('SELECT id, chain_id, parent, diff_id, size FROM snapshots').all() as Row[]).map((r) => this.toRecord(r));
  }

  private toRecord(row: Row): SnapshotRecord {
    return {
      id: row.id,
      chainId: row.chain_id as Digest,
      parent: row.parent as Digest | null,
      diffId: row.diff_id as Digest,
      size: row.size,
      dir: snapshotDir(this.paths, row.id),
    };
  }
}
