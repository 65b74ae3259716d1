// Deletes a directory tree. Node 20's recursive rmSync is a JavaScript rimraf loaded on first
// use, which costs a `run --rm` more than the few entries of its container's directory do:
// this walks the tree directly and leaves anything unusual (a busy entry, one that appears
// while we delete) to rmSync and its retries.
import { type Dirent, existsSync, readdirSync, rmSync, rmdirSync, unlinkSync } from 'node:fs';

export function removeTree(path: string): void {
  try {
    removeFast(path);
  } catch (err) {
    // Nothing there (a foreground container has no conmon directory): done.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(path)) return;
    // Whatever else stopped the walk (an entry gone or added under it), rmSync finishes the
    // job or reports what truly cannot be removed.
    rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  }
}

function removeFast(path: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return unlinkSync(path);
    throw err;
  }
  for (const e of entries) {
    // Not join: it would normalise the whole path again for every entry.
    const p = `${path}/${e.name}`;
    if (e.isDirectory()) removeFast(p);
    else unlinkSync(p);
  }
  rmdirSync(path);
}
