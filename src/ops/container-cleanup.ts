// Taking a container apart, in the reverse order of create: runc state, mount, directory, and
// the record last, so a kill at any point leaves something the next `rm` finds and finishes.
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerLayout } from '../runtime/container-layout.js';
import { unmountOverlay } from '../runtime/overlay.js';
import { type Runc, deleteState } from '../runtime/runc.js';
import { processStartMatches, processStat } from '../runtime/runc-state.js';
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
  // A conmon that is still winding down may write its exit file and log while we delete:
  // retried deletes cope with entries that appear under them.
  rmSync(l.conmonDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  rmSync(l.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  const rec = store.containers.get(id);
  store.containers.delete(id);
  // The image may have lost its names while this container held it (rmi -f): its config and
  // layers are garbage now unless something else holds them.
  if (rec && !store.images.hasConfig(rec.imageId)) {
    emptyTrash(immediate(store.db, () => collectInTx(store, { blobs: new Set([rec.imageId]), snapshots: new Set(rec.layers) })));
  }
}

/**
 * Kills and deletes what runc holds for the container, waits for its conmon to finish
 * recording the end (a skiff killed mid-start may have left one that the record does not
 * name), then releases it.
 */
export async function destroyContainer(store: Store, runc: Runc, id: string): Promise<void> {
  await deleteState(runc, id);
  const l = containerLayout(store.paths, id);
  await conmonGone(l.conmonDir);
  await detachNetwork(l, id);
  releaseContainer(store, id);
}

async function conmonGone(conmonDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(`${conmonDir}/conmon.pid`, 'utf8').trim());
  } catch {
    return;
  }
  const start = processStat(pid)?.start;
  for (let i = 0; i < 100 && pid > 0 && isConmon(pid) && processStartMatches(pid, start); i++) await sleep(20);
}

function isConmon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'conmon';
  } catch {
    return false;
  }
}
