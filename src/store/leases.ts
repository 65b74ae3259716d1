// Leases protect what an operation is still working on (blobs being downloaded, snapshots
// being unpacked, before any image references them) from a concurrent rmi or prune.
import { randomHex } from '../sys/random.js';
import { type Db, immediate } from './db.js';

export type LeaseKind = 'blob' | 'snapshot';

export class Lease {
  constructor(private readonly db: Db, readonly id: string) {}

  /** Call before checking whether the resource exists: GC then either sees the lease or has already removed it. */
  add(kind: LeaseKind, key: string): void {
    immediate(this.db, () => {
      this.db.prepare('INSERT OR IGNORE INTO lease_resources (lease_id, kind, key) VALUES (?, ?, ?)').run(this.id, kind, key);
    });
  }

  /** What this lease protects, by kind. */
  resources(): Record<LeaseKind, Set<string>> {
    const out: Record<LeaseKind, Set<string>> = { blob: new Set(), snapshot: new Set() };
    const rows = this.db.prepare('SELECT kind, key FROM lease_resources WHERE lease_id = ?').all(this.id) as { kind: LeaseKind; key: string }[];
    for (const r of rows) out[r.kind].add(r.key);
    return out;
  }

  release(): void {
    immediate(this.db, () => {
      this.db.prepare('DELETE FROM leases WHERE id = ?').run(this.id);
    });
  }
}

export function createLease(db: Db): Lease {
  const id = randomHex(8);
  immediate(db, () => {
    db.prepare('INSERT INTO leases (id, pid, created_at) VALUES (?, ?, ?)').run(id, process.pid, Date.now());
  });
  return new Lease(db, id);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keys held by live leases; leases of dead processes are deleted. Call inside a write transaction. */
export function leasedKeys(db: Db, kind: LeaseKind): Set<string> {
  const leases = db.prepare('SELECT id, pid FROM leases').all() as { id: string; pid: number }[];
  for (const l of leases) {
    if (!isProcessAlive(l.pid)) db.prepare('DELETE FROM leases WHERE id = ?').run(l.id);
  }
  const rows = db.prepare('SELECT key FROM lease_resources WHERE kind = ?').all(kind) as { key: string }[];
  return new Set(rows.map((r) => r.key));
}
