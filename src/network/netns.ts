// A container's network namespace as a file (a bind mount of the namespace), so it outlives
// any process: made before runc starts the container (by unshare(1), as the first CNI plugin
// runs: see cni.ts), removed after CNI has let go of it.
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { MNT_DETACH, umount2 } from '../sys/libc.js';

/** The empty file the namespace is bound to. */
export function netnsMountPoint(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

/**
 * Unbinds and deletes the namespace file; quiet when it is already gone. The kernel tears the
 * namespace down, veth and all, in the background once nothing holds it: much faster for the
 * caller than deleting the veth itself, which waits for the network stack to quiesce.
 */
export function removeNetns(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
  }
  rmSync(path, { force: true });
}
