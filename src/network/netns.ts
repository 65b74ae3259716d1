// A container's network namespace as a file (a bind mount of the namespace), so it outlives
// any process: created before runc starts the container, removed after CNI has let go of it.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { SkiffError } from '../errors.js';
import { MNT_DETACH, umount2 } from '../sys/libc.js';

export function createNetns(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  // unshare(1) makes the namespace and binds it to the file; doing it in-process would need
  // a thread of our own to unshare (namespaces belong to threads).
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [`--net=${path}`, 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new SkiffError('internal', `cannot create a network namespace: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      rmSync(path, { force: true });
      reject(new SkiffError('internal', `cannot create a network namespace: ${stderr.trim() || `unshare exited ${code}`}`));
    });
  });
}

/** Unbinds and deletes the namespace file; quiet when it is already gone. */
export function removeNetns(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
  }
  rmSync(path, { force: true });
}
