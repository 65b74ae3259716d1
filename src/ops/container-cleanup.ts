// Taking a container apart: network, runc state, mount, then the record, then the files. A kill
// before the record goes leaves a container `rm` finishes; after, a directory without a record,
// which the next `ps` finishes (see releaseContainer).
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerLayout } from '../runtime/container-layout.js';
import { unmountOverlay } from '../runtime/overlay.js';
import { type Runc, deleteState } from '../runtime/runc.js';
import { processName, processStartMatches, processStat } from '../runtime/runc-state.js';
import { immediate } from '../store/db.js';
import type { Store } from '../store/store.js';
import { detachNetwork } from './container-network.js';
import { collectInTx, emptyTrash } from './gc.js';
import { namesIn } from '../sys/read-dir.js';
import { removeTree } from '../sys/remove-tree.js';

/** The container's files: its root unmounted first, then its directory and conmon's. Idempotent. */
function releaseFiles(store: Store, id: string): void {
  const l = containerLayout(store.paths, id);
  // Returns only once nothing is mounted there: the recursive delete below must never walk
  // into a mounted root (it would write whiteouts, or worse).
  unmountOverlay(l.rootfs);
  // A conmon that is still winding down may write its exit file and log while we delete:
  // removeTree falls back to retried deletes, which cope with entries that appear under them.
  removeTree(l.conmonDir);
  removeTree(l.dir);
}

/**
 * Unmounts the root, deletes the record, then the directory. Needs no runc state to be left.
 * The record goes before the files: a removal killed in between leaves a directory without a
 * record, which the next `ps` finishes (sweepOrphanContainers); the other way round, it would
 * leave a record whose files are gone, which nothing can tell from a create under way.
 */
export function releaseContainer(store: Store, id: string): void {
  unmountOverlay(containerLayout(store.paths, id).rootfs);
  const rec = store.containers.get(id);
  store.containers.delete(id);
  // The image may have lost its names while this container held it (rmi -f): its config and
  // layers are garbage now unless something else holds them.
  if (rec && !store.images.hasConfig(rec.imageId)) {
    emptyTrash(immediate(store.db, () => collectInTx(store, { blobs: new Set([rec.imageId]), snapshots: new Set(rec.layers) })));
  }
  releaseFiles(store, id);
}

/**
 * Finishes removals a killed process left half done: a container directory without a record
 * (create writes the record first, so none is a create under way). Its network is handed back
 * and its runtime state and files deleted.
 */
export async function sweepOrphanContainers(store: Store, runc: Runc, recorded: Set<string>): Promise<void> {
  for (const id of namesIn(store.paths.containers)) {
    if (recorded.has(id) || !/^[0-9a-f]{64}$/.test(id)) continue;
    // Asked again now: a create since `recorded` was read has its record in before its directory.
    if (store.containers.get(id)) continue;
    await finishRemoval(store, runc, id);
  }
}

/** What a removal does after the record is gone: network handed back, runtime state and files deleted. */
export async function finishRemoval(store: Store, runc: Runc, id: string): Promise<void> {
  await detachNetwork(store, id).catch(() => {});
  await deleteState(runc, id).catch(() => {});
  releaseFiles(store, id);
}

/**
 * Kills and deletes what runc holds for the container, then releases it. Unless the caller
 * knows its runtime processes are done (`settled`: a foreground runc that has returned), it
 * first kills what may still be creating it: a skiff killed mid-start leaves a conmon or a
 * `runc run` the record does not name, which would write state and files behind our back.
 */
export async function destroyContainer(store: Store, runc: Runc, id: string, settled = false): Promise<void> {
  const l = containerLayout(store.paths, id);
  if (!settled) await killCreators(l.conmonDir, id);
  await deleteState(runc, id);
  await detachNetwork(store, id);
  releaseContainer(store, id);
}

/** SIGKILLs the container's conmon and any runc working on it, and waits until they are gone. */
async function killCreators(conmonDir: string, id: string): Promise<void> {
  const victims: { pid: number; start: number | undefined }[] = [];
  const conmon = readPid(`${conmonDir}/conmon.pid`);
  if (conmon && processName(conmon) === 'conmon') victims.push({ pid: conmon, start: processStat(conmon)?.start });
  for (const pid of runcProcessesOf(id)) victims.push({ pid, start: processStat(pid)?.start });
  for (const v of victims) {
    try {
      process.kill(v.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && victims.some((v) => processStartMatches(v.pid, v.start)); i++) await sleep(20);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** runc processes whose command line names the container (run, create, start, delete…). */
function runcProcessesOf(id: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || processName(Number(name)) !== 'runc') continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(id)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}
