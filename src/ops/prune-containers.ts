// container prune: every container that is not running; `container cleanup`: conmon's exit
// command, which records the exit and removes an --rm container.
import { SkiffError } from '../errors.js';
import { destroyContainer } from './container-cleanup.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { runcFor } from './start-container.js';
import { containerLayout } from '../runtime/container-layout.js';
import { detachNetwork } from './container-network.js';

export function pruneContainers(ctx: OpsContext): Promise<{ removed: string[]; errors: SkiffError[] }> {
  return withStore(ctx, async (store) => {
    const runc = runcFor(ctx, store);
    const out = { removed: [] as string[], errors: [] as SkiffError[] };
    for (const rec of store.containers.list<Container['spec']>()) {
      const c = refresh(store, rec);
      if (c.state === 'running') continue;
      try {
        await destroyContainer(store, runc, c.id);
        out.removed.push(c.id);
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        out.errors.push(err);
      }
    }
    return out;
  });
}

export function cleanupAfterExit(ctx: OpsContext, id: string): Promise<void> {
  return withStore(ctx, async (store) => {
    const rec = store.containers.get<Container['spec']>(id);
    if (!rec) return;
    const c = refresh(store, rec);
    if (c.state === 'running') return;
    // conmon runs this after the container ended and recorded it: nothing else works on it.
    if (c.autoRemove) await destroyContainer(store, runcFor(ctx, store), c.id, true);
    // conmon does not know the network: its exit command hands the namespace and address back.
    else if (c.spec.options.network === 'bridge') await detachNetwork(containerLayout(store.paths, c.id), c.id);
  });
}
