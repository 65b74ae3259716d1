// ps: the records, brought up to date from runc's state and conmon's exit files, filtered.
import { networkFile } from '../runtime/container-layout.js';
import type { ListedContainer } from './container-options.js';
import { releaseStaleNetworks } from './container-network.js';
import { sweepOrphanContainers } from './container-cleanup.js';
import { runcFor } from './start-container.js';
import { readAttached } from './attached-network.js';
import { type Filters, matches } from './container-filters.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { findImage } from './resolve-image.js';

export interface ListOptions {
  all: boolean;
  /** Only the N most recently created (any state), as docker's -n and -l. */
  last?: number;
  filters: Filters;
}

export function listContainers(ctx: OpsContext, opts: ListOptions): Promise<ListedContainer[]> {
  return withStore(ctx, async (store) => {
    const imageIds = new Map<string, Set<string>>();
    const idsOf = (ref: string): Set<string> => {
      let ids = imageIds.get(ref);
      if (!ids) {
        ids = new Set((findImage(store, ref)?.records ?? []).map((r) => r.configDigest));
        imageIds.set(ref, ids);
      }
      return ids;
    };
    let list = store.containers.list<ListedContainer['spec']>().map((c) => refresh(store, c));
    await releaseStaleNetworks(store, list);
    await sweepOrphanContainers(store, runcFor(ctx, store), new Set(list.map((c) => c.id)));
    // -n/-l pick the newest containers whatever their state; a status filter implies all.
    const all = opts.all || opts.last !== undefined || opts.filters.has('status') || opts.filters.has('exited');
    list = list.filter((c) => (all || c.state === 'running') && matches(c, opts.filters, idsOf));
    // As docker: the limit counts the containers that pass the filters.
    if (opts.last !== undefined) list = list.slice(0, opts.last);
    return list.map((c) =>
      // In place: copying the record would parse its spec, which ps never needs.
      Object.assign(c, { published: c.state === 'running' ? (readAttached({ network: networkFile(store.paths, c.id) })?.ports ?? []) : [] }),
    );
  });
}
