// The per-container loop of commands that take several containers (rm, stop, kill, prune…):
// one failure does not stop the others, and each is reported.
import { type SkiffError, isSkiffError } from '../errors.js';
import type { Store } from '../store/store.js';
import { type OpsContext, withStore } from './context.js';

/**
 * Runs fn for each container; failures are collected per container, as docker reports them.
 * fn returns false for a container it had nothing to report about.
 */
export function eachContainer(
  ctx: OpsContext,
  refs: string[],
  fn: (store: Store, ref: string) => Promise<boolean | void>,
): Promise<{ done: string[]; errors: SkiffError[] }> {
  return withStore(ctx, async (store) => {
    const out = { done: [] as string[], errors: [] as SkiffError[] };
    for (const ref of refs) {
      try {
        if ((await fn(store, ref)) !== false) out.done.push(ref);
      } catch (err) {
        if (!isSkiffError(err)) throw err;
        out.errors.push(err);
      }
    }
    return out;
  });
}
