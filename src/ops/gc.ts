// Removes content and snapshots no image references and no live lease protects. Runs inside
// the caller's write transaction for the bookkeeping; directory trees are renamed to trash
// there and deleted after commit, so the lock is held only for cheap operations.
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../oci/digest.js';
import { type Lease, leasedKeys } from '../store/leases.js';
import { immediate } from '../store/db.js';
import { blobsOf } from '../store/images.js';
import { snapshotDir } from '../store/paths.js';
import type { Store } from '../store/store.js';
import { randomHex } from '../sys/random.js';

export interface GcCandidates {
  blobs: Set<Digest>;
  snapshots: Set<Digest>;
}

export interface GcResult {
  blobs: Digest[];
  snapshots: Digest[];
  /** Directories to delete once the transaction has committed. */
  trash: string[];
}

/** Must run inside an immediate transaction. */
export function collectInTx(store: Store, cand: GcCandidates): GcResult {
  const usedBlobs = leasedKeys(store.db, 'blob');
  const usedSnaps = leasedKeys(store.db, 'snapshot');
  // A container keeps its image's config and layers even when the image's names are gone (rmi -f).
  const held = store.containers.usedInTx();
  for (const id of held.imageIds) usedBlobs.add(id);
  for (const c of held.snapshots) usedSnaps.add(c);
  for (const img of store.images.list()) {
    for (const d of blobsOf(img)) usedBlobs.add(d);
    for (const l of img.layers) usedSnaps.add(l.chainId);
  }
  const out: GcResult = { blobs: [], snapshots: [], trash: [] };
  for (const d of cand.blobs) {
    if (usedBlobs.has(d)) continue;
    store.content.delete(d);
    out.blobs.push(d);
  }
  for (const c of cand.snapshots) {
    if (usedSnaps.has(c)) continue;
    const row = store.db.prepare('SELECT id FROM snapshots WHERE chain_id = ?').get(c) as { id: number } | undefined;
    if (!row) continue;
    store.db.prepare('DELETE FROM snapshots WHERE id = ?').run(row.id);
    const trash = join(store.paths.snapshots, `trash-${process.pid}-${randomHex(4)}`);
    try {
      renameSync(snapshotDir(store.paths, row.id), trash);
      out.trash.push(trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    out.snapshots.push(c);
  }
  return out;
}

/**
 * Ends a lease and frees what it protected that nothing else holds (a verified blob, a layer
 * of an image that never got its name), in one transaction so no other lease slips between.
 */
export function releaseAndCollect(store: Store, lease: Lease): void {
  emptyTrash(
    immediate(store.db, () => {
      const held = lease.resources();
      lease.release();
      return collectInTx(store, { blobs: held.blob as Set<Digest>, snapshots: held.snapshot as Set<Digest> });
    }),
  );
}

export function emptyTrash(r: GcResult): void {
  for (const t of r.trash) rmSync(t, { recursive: true, force: true });
}
