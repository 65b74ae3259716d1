// rm: a running container only with force (runc delete --force kills it); then mount, files, record.
import { SkiffError } from '../errors.js';
import { destroyContainer } from './container-cleanup.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { requireContainer } from './find-container.js';
import { runcFor } from './start-container.js';

export interface RemoveContainersResult {
  removed: string[];
  errors: SkiffError[];
}

export function removeContainers(ctx: OpsContext, refs: string[], force: boolean): Promise<RemoveContainersResult> {
  return withStore(ctx, async (store) => {
    const runc = runcFor(ctx, store);
    const out: RemoveContainersResult = { removed: [], errors: [] };
    for (const ref of refs) {
      try {
        const c = refresh(store, requireContainer(store, ref));
        if (c.state === 'running' && !force) {
          throw new SkiffError('conflict', `cannot remove container ${c.name}: it is running; stop it first or use rm -f`);
        }
        await destroyContainer(store, runc, c.id);
        out.removed.push(ref);
      } catch (err) {
        // docker's rm -f of a missing container is not an error.
        if (force && err instanceof SkiffError && err.kind === 'not-found') continue;
        if (!(err instanceof SkiffError)) throw err;
        out.errors.push(err);
      }
    }
    return out;
  });
}
