// rm: a running container only with force (runc delete --force kills it); then mount, files, record.
import { SkiffError } from '../errors.js';
import { destroyContainer } from './container-cleanup.js';
import { refresh } from './container-status.js';
import type { OpsContext } from './context.js';
import { eachContainer } from './each-container.js';
import { requireContainer } from './find-container.js';
import { runcFor } from './start-container.js';

export function removeContainers(ctx: OpsContext, refs: string[], force: boolean): Promise<{ done: string[]; errors: SkiffError[] }> {
  return eachContainer(ctx, refs, async (store, ref) => {
    let c;
    try {
      c = refresh(store, requireContainer(store, ref));
    } catch (err) {
      // docker's rm -f of a missing container is not an error, and prints nothing.
      if (force && err instanceof SkiffError && err.kind === 'not-found') return false;
      throw err;
    }
    if (c.state === 'running' && !force) {
      throw new SkiffError('conflict', `cannot remove container ${c.name}: it is running; stop it first or use rm -f`);
    }
    await destroyContainer(store, runcFor(ctx, store), c.id);
    return true;
  });
}
