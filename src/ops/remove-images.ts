// rmi: untag names; when an image loses its last name, free what nothing else uses.
import { SkiffError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { immediate } from '../store/db.js';
import { type ImageRecord, blobsOf } from '../store/images.js';
import type { Store } from '../store/store.js';
import { type OpsContext, withStore } from './context.js';
import { collectInTx, emptyTrash, type GcResult } from './gc.js';
import { findImage } from './resolve-image.js';

export interface RemoveImagesOptions {
  names: string[];
  force: boolean;
}

export type RemoveEvent = { type: 'untagged'; name: string } | { type: 'deleted'; id: Digest };

export interface RemoveImagesResult {
  events: RemoveEvent[];
  /** Names that could not be removed, with why; the others were removed. */
  errors: SkiffError[];
}

export function removeImages(ctx: OpsContext, opts: RemoveImagesOptions): RemoveImagesResult {
  return withStore(ctx, (store) => {
    const events: RemoveEvent[] = [];
    const errors: SkiffError[] = [];
    for (const name of opts.names) {
      let removed: ImageRecord[] | undefined;
      try {
        // Untagging commits on its own, before anything is deleted: a process killed during
        // the collection below leaves only unreferenced items half-removed, never an image
        // whose files are gone.
        removed = immediate(store.db, () => {
          const found = findImage(store, name);
          if (!found) {
            if (opts.force) return undefined;
            throw new SkiffError('not-found', `no such image: ${name}`);
          }
          const names = new Set(found.records.map((r) => r.name));
          if (found.byId && names.size > 1 && !opts.force) {
            throw new SkiffError('conflict', `image ${name} is referenced by ${names.size} names (${[...names].join(', ')}); remove them by name or use -f`);
          }
          if (!opts.force) refuseIfInUse(store, name, found.records);
          for (const r of found.records) {
            store.images.deleteInTx(r.name);
            events.push({ type: 'untagged', name: r.name });
          }
          return found.records;
        });
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        errors.push(err);
      }
      if (!removed) continue;
      const records = removed;
      emptyTrash(immediate(store.db, () => collectRemoved(store, records, events)));
    }
    return { events, errors };
  });
}

/** Frees what the removed images used and nothing else does; reports image IDs now gone. */
function collectRemoved(store: Store, removed: ImageRecord[], events: RemoveEvent[]): GcResult {
  const blobs = new Set<Digest>();
  const snapshots = new Set<Digest>();
  for (const r of removed) {
    for (const d of blobsOf(r)) blobs.add(d);
    for (const l of r.layers) snapshots.add(l.chainId);
  }
  const result = collectInTx(store, { blobs, snapshots });
  // An image a container still holds (rmi -f) is untagged, not deleted.
  const stillUsed = new Set([...store.images.list().map((r) => r.configDigest), ...store.containers.usedInTx().imageIds]);
  for (const r of removed) {
    if (!stillUsed.has(r.configDigest) && !events.some((e) => e.type === 'deleted' && e.id === r.configDigest)) {
      events.push({ type: 'deleted', id: r.configDigest });
    }
  }
  return result;
}

/** docker refuses to remove the last name of an image a container was created from, unless forced. */
function refuseIfInUse(store: Store, name: string, removing: ImageRecord[]): void {
  const id = removing[0]!.configDigest;
  const remaining = store.images.list().filter((r) => r.configDigest === id && !removing.some((x) => x.name === r.name));
  if (remaining.length > 0) return;
  const user = store.containers.firstUsing(id);
  if (user) {
    throw new SkiffError('conflict', `unable to remove image ${name}: container ${user.id.slice(0, 12)} (${user.name}) uses it; remove the container first or use -f`);
  }
}
