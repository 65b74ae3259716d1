// container prune: every container that is not running; `container cleanup`: conmon's exit
// command, which records the exit and removes an --rm container.
import type { SkiffError } from '../errors.js';
import { destroyContainer } from './container-cleanup.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { eachContainer } from './each-container.js';
import { runcFor } from './start-container.js';
import { detachNetwork } from './container-network.js';

export function pruneContainers(ctx: OpsContext): Promise<{ done: string[]; errors: SkiffError[] }> {
  const stopped = withStore(ctx, (store) =>
    store.containers
      .list<Container['spec']>()
      .map((c) => refresh(store, c))
      .filter((c) => c.state !== 'running')
      .map((c) => c.id),
  );
  return eachContainer(ctx, stopped, (store, id) => destroyContainer(store, runcFor(ctx, store), id));
}

/** `attachment`: the network attachment of the start whose exit this is; another start's is left be. */
export function cleanupAfterExit(ctx: OpsContext, id: string, attachment?: string): Promise<void> {
  return withStore(ctx, async (store) => {
    const rec = store.containers.get<Container['spec']>(id);
    if (!rec) return;
    const c = refresh(store, rec);
    if (c.state === 'running') return;
    // conmon runs this after the container ended and recorded it: nothing else works on it.
    if (c.autoRemove) await destroyContainer(store, runcFor(ctx, store), c.id, true);
    // conmon does not know the network: its exit command hands the namespace and address back.
    else await detachNetwork(store, c.id, attachment !== undefined ? { attachment } : {});
  });
}
