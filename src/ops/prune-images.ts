// image prune: content no image, container or pull in progress holds (what a retagging pull
// or a killed process left), and with `all` every image no container was created from. The
// lease check inside the collection keeps a concurrent pull's layers safe.
import { sweepDebris } from '../store/debris.js';
import { immediate } from '../store/db.js';
import type { Store } from '../store/store.js';
import { type OpsContext, withStore } from './context.js';
import { collectInTx, emptyTrash } from './gc.js';
import { storedSizes } from './disk-usage.js';

export interface PruneImagesResult {
  /** docker's lines: `untagged: NAME` and `deleted: ID`. */
  events: string[];
  /** Bytes of blobs and unpacked layers freed. */
  reclaimed: number;
}

/** Must run inside an immediate transaction. */
function pruneImagesInTx(store: Store, all: boolean): { events: string[]; reclaimed: number; trash: string[] } {
  const events: string[] = [];
  if (all) {
    const used = store.containers.usedInTx().imageIds;
    const unused = store.images.list().filter((r) => !used.has(r.configDigest));
    for (const r of unused) {
      store.images.deleteInTx(r.name);
      events.push(`untagged: ${r.name}`);
    }
    for (const id of new Set(unused.map((r) => r.configDigest))) {
      if (!store.images.hasConfig(id)) events.push(`deleted: ${id}`);
    }
  }
  const sizes = storedSizes(store);
  const blobs = new Set(store.content.list());
  const snapshots = new Set(store.snapshots.all().map((s) => s.chainId));
  const result = collectInTx(store, { blobs, snapshots });
  const reclaimed = [...result.blobs, ...result.snapshots].reduce((n, k) => n + (sizes.get(k) ?? 0), 0);
  return { events, reclaimed, trash: result.trash };
}

export function pruneImages(ctx: OpsContext, all: boolean): PruneImagesResult {
  return withStore(ctx, (store) => {
    // What killed processes left (their owners are gone) goes first, so that its leases do not hold content.
    sweepDebris(store.paths);
    const r = immediate(store.db, () => pruneImagesInTx(store, all));
    emptyTrash({ blobs: [], snapshots: [], trash: r.trash });
    return { events: r.events, reclaimed: r.reclaimed };
  });
}
