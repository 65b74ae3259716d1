import { SkiffError } from '../errors.js';
import { formatReference, parseReference, repositoryName } from '../oci/reference.js';
import { immediate } from '../store/db.js';
import type { ImageRecord } from '../store/images.js';
import { type OpsContext, withStore } from './context.js';
import { findImage } from './resolve-image.js';

/** Gives an existing image another name; an existing target name is moved, as docker tag does. */
export function tagImage(ctx: OpsContext, source: string, target: string): ImageRecord {
  const ref = parseReference(target);
  if (ref.digest) throw new SkiffError('usage', `cannot tag with a digest reference: ${target}`);
  return withStore(ctx, (store) =>
    immediate(store.db, () => {
      const found = findImage(store, source);
      if (!found) throw new SkiffError('not-found', `no such image: ${source}`);
      const src = found.records[0]!;
      const rec: ImageRecord = { ...src, name: formatReference(ref), repository: repositoryName(ref), tag: ref.tag ?? 'latest', updatedAt: Date.now() };
      store.images.putInTx(rec);
      return rec;
    }),
  );
}
