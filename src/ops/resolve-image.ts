// Finds the image a user names: a reference (busybox, host/ns/app:tag, repo@digest), or an
// image ID (full or an unambiguous prefix).
import { SkiffError } from '../errors.js';
import { formatReference, parseReference } from '../oci/reference.js';
import type { ImageRecord } from '../store/images.js';
import type { Store } from '../store/store.js';

export interface Resolved {
  /** The records the name selects: one for a reference, all names of the image for an ID. */
  records: ImageRecord[];
  byId: boolean;
}

export function findImage(store: Store, name: string): Resolved | undefined {
  const idMatch = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(name);
  let ref;
  try {
    ref = parseReference(name);
  } catch (err) {
    if (!idMatch) throw err;
  }
  if (ref) {
    const rec = store.images.get(formatReference(ref));
    if (rec) return { records: [rec], byId: false };
    if (ref.digest) {
      const byDigest = store.images.list().filter((r) => r.repository === `${ref.domain}/${ref.path}` && (r.digest === ref.digest || r.manifestDigest === ref.digest));
      if (byDigest.length > 0) return { records: byDigest.slice(0, 1), byId: false };
    }
  }
  if (idMatch && (name.startsWith('sha256:') || idMatch[1]!.length >= 3)) {
    const recs = store.images.byIdPrefix(idMatch[1]!);
    const ids = new Set(recs.map((r) => r.configDigest));
    if (ids.size > 1) throw new SkiffError('conflict', `image ID prefix ${JSON.stringify(name)} is ambiguous (${ids.size} images match)`);
    if (recs.length > 0) return { records: recs, byId: true };
  }
  return undefined;
}

export function requireImage(store: Store, name: string): Resolved {
  const found = findImage(store, name);
  if (!found) throw new SkiffError('not-found', `no such image: ${name}`);
  return found;
}
