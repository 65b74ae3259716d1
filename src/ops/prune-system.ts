// system prune: stopped containers, then the user networks no container names any more, then
// dangling content (with `all`, every image no container uses). Each part is the prune of its
// own kind; this only runs them in the order that frees the most.
import type { SkiffError } from '../errors.js';
import { containerLayout } from '../runtime/container-layout.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { treeSize } from './disk-usage.js';
import { pruneNetworks } from './networks.js';
import { pruneContainers } from './prune-containers.js';
import { type PruneImagesResult, pruneImages } from './prune-images.js';

export interface PruneSystemResult {
  containers: { done: string[]; errors: SkiffError[] };
  networks: { done: string[]; errors: SkiffError[] };
  images: PruneImagesResult;
  /** Bytes: the removed containers' writes and the freed image content. */
  reclaimed: number;
}

export async function pruneSystem(ctx: OpsContext, all: boolean): Promise<PruneSystemResult> {
  const written = withStore(ctx, (store) => {
    const sizes = new Map<string, number>();
    for (const c of store.containers.list<Container['spec']>().map((r) => refresh(store, r))) {
      if (c.state !== 'running') sizes.set(c.id, treeSize(containerLayout(store.paths, c.id).upper));
    }
    return sizes;
  });
  const containers = await pruneContainers(ctx);
  const networks = await pruneNetworks(ctx);
  const images = pruneImages(ctx, all);
  const reclaimed = images.reclaimed + containers.done.reduce((n, id) => n + (written.get(id) ?? 0), 0);
  return { containers, networks, images, reclaimed };
}
