// system check: the store against itself — records without their files, files without their
// records, mounts and runtime state nobody owns, references to content that is gone — and,
// asked to repair, the fix for each. Garbage that prune frees (content nothing references)
// is reported apart: it is not an inconsistency.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeNetns } from '../network/netns.js';
import { containerLayout } from '../runtime/container-layout.js';
import { mountsUnder, unmountOverlay } from '../runtime/overlay.js';
import { deleteState } from '../runtime/runc.js';
import { immediate } from '../store/db.js';
import { blobsOf } from '../store/images.js';
import { sweepDebris } from '../store/debris.js';
import { namesIn } from '../sys/read-dir.js';
import type { Store } from '../store/store.js';
import { type OpsContext, withStore } from './context.js';
import { runcFor } from './start-container.js';
import { finishRemoval } from './container-cleanup.js';

export interface Finding {
  /** A short kind: snapshot-missing, container-orphan, … */
  kind: string;
  message: string;
  repaired: boolean;
  /** Content nothing references: prune's business, not damage. */
  garbage?: boolean;
}

interface Problem {
  kind: string;
  message: string;
  repair: () => Promise<void> | void;
  garbage?: boolean;
}

function imageProblems(store: Store): Problem[] {
  const out: Problem[] = [];
  const rows = store.snapshots.all();
  const byChain = new Map(rows.map((r) => [r.chainId, r]));
  for (const r of rows) {
    if (existsSync(r.dir)) continue;
    out.push({
      kind: 'snapshot-missing',
      message: `layer snapshot ${r.id} (${r.chainId}) is recorded but its directory is gone`,
      repair: () => void store.db.prepare('DELETE FROM snapshots WHERE id = ?').run(r.id),
    });
  }
  const known = new Set(rows.map((r) => String(r.id)));
  for (const name of namesIn(store.paths.snapshots)) {
    if (!/^\d+$/.test(name) || known.has(name)) continue;
    out.push({
      kind: 'snapshot-orphan',
      message: `snapshot directory ${name} belongs to no layer record`,
      repair: () => rmSync(join(store.paths.snapshots, name), { recursive: true, force: true }),
    });
  }
  for (const img of store.images.list()) {
    const lost = [
      ...[img.manifestDigest, img.configDigest].filter((d) => !store.content.has(d)).map((d) => `blob ${d}`),
      ...img.layers.filter((l) => !byChain.has(l.chainId) || !existsSync(byChain.get(l.chainId)!.dir)).map((l) => `layer ${l.chainId}`),
    ];
    if (lost.length === 0) continue;
    out.push({
      kind: 'image-incomplete',
      message: `image ${img.name} lacks its ${lost[0]}${lost.length > 1 ? ` and ${lost.length - 1} more` : ''}; repair removes the name (pull it again)`,
      repair: () => immediate(store.db, () => store.images.deleteInTx(img.name)),
    });
  }
  return out;
}

function containerProblems(ctx: OpsContext, store: Store): Problem[] {
  const out: Problem[] = [];
  const records = store.containers.list();
  const ids = new Set(records.map((c) => c.id));
  for (const c of records) {
    if (existsSync(containerLayout(store.paths, c.id).dir)) continue;
    out.push({
      kind: 'container-files-missing',
      message: `container ${c.name} (${c.id.slice(0, 12)}) is recorded but its directory is gone; repair removes the record`,
      repair: async () => {
        await deleteState(runcFor(ctx, store), c.id);
        store.containers.delete(c.id);
      },
    });
  }
  for (const id of namesIn(store.paths.containers)) {
    if (ids.has(id)) continue;
    out.push({
      kind: 'container-orphan',
      message: `container directory ${id.slice(0, 12)} belongs to no container record`,
      repair: () => finishRemoval(store, runcFor(ctx, store), id),
    });
  }
  for (const id of namesIn(store.paths.runc)) {
    if (ids.has(id)) continue;
    out.push({ kind: 'runtime-orphan', message: `runc state ${id.slice(0, 12)} belongs to no container`, repair: () => deleteState(runcFor(ctx, store), id) });
  }
  const prefixes = new Set([...ids].map((id) => id.slice(0, 16)));
  const netnsDir = join(store.paths.root, 'run', 'netns');
  for (const name of namesIn(netnsDir)) {
    const id16 = name.replace(/\.sock$/, '');
    if (prefixes.has(id16)) continue;
    out.push({ kind: 'netns-orphan', message: `network namespace ${name} belongs to no container`, repair: () => removeNetns(join(netnsDir, name)) });
  }
  // skiff mounts only containers' roots, at containers/<id>/rootfs: any other mount under
  // containers/ is a leak. Mounts elsewhere in the root (the root itself on its own disk, a
  // filesystem an admin put under snapshots/) are the machine's, not skiff's to remove.
  const expected = new Set(records.map((c) => containerLayout(store.paths, c.id).rootfs));
  for (const m of mountsUnder(store.paths.containers)) {
    if (expected.has(m) || m === store.paths.containers) continue;
    out.push({ kind: 'mount-leaked', message: `${m} is mounted but belongs to no container`, repair: () => unmountOverlay(m) });
  }
  return out;
}

function garbage(store: Store): Problem[] {
  const referenced = new Set<string>();
  for (const img of store.images.list()) {
    for (const d of blobsOf(img)) referenced.add(d);
  }
  for (const c of store.containers.list()) referenced.add(c.imageId);
  const blobs = store.content.list().filter((d) => !referenced.has(d));
  if (blobs.length === 0) return [];
  return [{ kind: 'unreferenced-content', message: `${blobs.length} blobs no image references (image prune frees them)`, repair: () => {}, garbage: true }];
}

export function checkStore(ctx: OpsContext, repair: boolean): Promise<Finding[]> {
  return withStore(ctx, async (store) => {
    // Leftovers of dead processes are swept when the store opens; leases of dead processes too, here.
    sweepDebris(store.paths);
    const problems = [...imageProblems(store), ...containerProblems(ctx, store), ...garbage(store)];
    const findings: Finding[] = [];
    for (const p of problems) {
      let repaired = false;
      if (repair && !p.garbage) {
        await p.repair();
        repaired = true;
      }
      findings.push({ kind: p.kind, message: p.message, repaired, ...(p.garbage ? { garbage: true } : {}) });
    }
    return findings;
  });
}
