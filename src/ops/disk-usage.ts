// system df: what images and containers take on disk, and what a prune would give back.
// Image sizes are blobs (as pulled) plus unpacked layers, each counted once however many
// images share it; a container's size is what it wrote (its overlay upper dir).
import { lstatSync } from 'node:fs';
import { namesIn } from '../sys/read-dir.js';
import { join } from 'node:path';
import type { Digest } from '../oci/digest.js';
import { containerLayout } from '../runtime/container-layout.js';
import { blobsOf } from '../store/images.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';

export interface DiskUsage {
  type: 'Images' | 'Containers' | 'Local Volumes';
  total: number;
  active: number;
  /** Bytes. */
  size: number;
  reclaimable: number;
}

/** Bytes of the regular files under a directory (not following links). */
export function treeSize(dir: string): number {
  let total = 0;
  for (const name of namesIn(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) total += treeSize(p);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

/** Bytes of every stored blob (by digest) and unpacked layer (by chain ID). */
export function storedSizes(store: Store): Map<Digest, number> {
  const sizes = new Map<Digest, number>();
  for (const d of store.content.list()) {
    try {
      sizes.set(d, store.content.size(d));
    } catch {
      // deleted under us
    }
  }
  for (const s of store.snapshots.all()) sizes.set(s.chainId, s.size);
  return sizes;
}

function imageUsage(store: Store, containers: Container[]): DiskUsage {
  const sizes = storedSizes(store);
  const images = store.images.list();
  const usedIds = new Set<Digest>(containers.map((c) => c.imageId));
  // What containers hold stays after `image prune -a`: their images' blobs and layers.
  const held = new Set<string>();
  for (const c of containers) {
    held.add(c.imageId);
    for (const l of c.layers) held.add(l);
  }
  for (const img of images.filter((i) => usedIds.has(i.configDigest))) {
    for (const d of blobsOf(img)) held.add(d);
  }
  let size = 0;
  let kept = 0;
  for (const [k, n] of sizes) {
    size += n;
    if (held.has(k)) kept += n;
  }
  return {
    type: 'Images',
    total: new Set(images.map((i) => i.configDigest)).size,
    active: new Set(images.filter((i) => usedIds.has(i.configDigest)).map((i) => i.configDigest)).size,
    size,
    reclaimable: size - kept,
  };
}

function containerUsage(store: Store, containers: Container[]): DiskUsage {
  let size = 0;
  let reclaimable = 0;
  let active = 0;
  for (const c of containers) {
    const n = treeSize(containerLayout(store.paths, c.id).upper);
    size += n;
    if (c.state === 'running') active++;
    else reclaimable += n;
  }
  return { type: 'Containers', total: containers.length, active, size, reclaimable };
}

export function diskUsage(ctx: OpsContext): DiskUsage[] {
  return withStore(ctx, (store) => {
    const containers = store.containers.list<Container['spec']>().map((c) => refresh(store, c));
    return [imageUsage(store, containers), containerUsage(store, containers), { type: 'Local Volumes', total: 0, active: 0, size: 0, reclaimable: 0 }];
  });
}
