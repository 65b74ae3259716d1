// Taking a container apart, in the reverse order of create: runc state, mount, directory, and
// the record last, so a kill at any point leaves something the next `rm` finds and finishes.
import { rmSync } from 'node:fs';
import { containerLayout } from '../runtime/container-layout.js';
import { unmountOverlay } from '../runtime/overlay.js';
import { type Runc, deleteState } from '../runtime/runc.js';
import { immediate } from '../store/db.js';
import type { Store } from '../store/store.js';
import { detachNetwork } from './container-network.js';
import { collectInTx, emptyTrash } from './gc.js';

/** Unmounts the root, deletes the directory and then the record. Needs no runc state to be left. */
export function releaseContainer(store: Store, id: string): void {
  const l = containerLayout(store.paths, id);
  // Returns only once nothing is mounted there: the recursive delete below must never walk
  // into a mounted root (it would write whiteouts, or worse).
  unmountOverlay(l.rootfs);
  rmSync(l.conmonDir, { recursive: true, force: true });
  rmSync(l.dir, { recursive: true, force: true });
  const rec = store.containers.get(id);
  store.containers.delete(id);
  // The image may have lost its names while this container held it (rmi -f): its config and
  // layers are garbage now unless something else holds them.
  if (rec && !store.images.hasConfig(rec.imageId)) {
    emptyTrash(immediate(store.db, () => collectInTx(store, { blobs: new Set([rec.imageId]), snapshots: new Set(rec.layers) })));
  }
}

/** Kills and deletes what runc holds for the container, then releases it. */
export async function destroyContainer(store: Store, runc: Runc, id: string): Promise<void> {
  await deleteState(runc, id);
  await detachNetwork(containerLayout(store.paths, id), id);
  releaseContainer(store, id);
}
