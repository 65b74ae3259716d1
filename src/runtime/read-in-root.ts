// Paths inside a container's root filesystem, resolved on the host as the container would
// resolve them: an image's symlinks (absolute ones, or '..' chains) must land inside the
// root, never on the host's own /etc/passwd. Each component is looked at with lstat and
// links are followed by hand, as path_resolution(7) does with the root as '/'.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkiffError, messageOf } from '../errors.js';

/** Linux's limit on links followed in one resolution. */
const MAX_LINKS = 40;
/** /etc/passwd and friends; anything larger is not what we are looking for. */
export const MAX_READ_BYTES = 1024 * 1024;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function failure(path: string, err: unknown): SkiffError {
  return new SkiffError('internal', `cannot resolve ${path} in the container's root filesystem: ${messageOf(err)}`, { cause: err });
}

/**
 * The host path that `path` names inside `rootfs`, with every symlink followed within the
 * root; undefined when it does not exist (or a component that should be a directory is not).
 * A symlink loop is an error rather than "absent", so that a broken image is reported as such.
 */
export function resolveInRoot(rootfs: string, path: string): string | undefined {
  const root = resolve(rootfs);
  const done: string[] = [];
  const pending = path.split('/').filter(Boolean);
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop(); // clamped at the root, as '..' of '/' is '/'
      continue;
    }
    done.push(part);
    const host = `${root}/${done.join('/')}`;
    let st;
    try {
      st = lstatSync(host);
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw failure(path, err);
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) {
        throw new SkiffError('not-found', `cannot resolve ${path} in the container's root filesystem: too many levels of symbolic links`);
      }
      let target: string;
      try {
        target = readlinkSync(host);
      } catch (err) {
        throw failure(path, err);
      }
      done.pop();
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
    } else if (pending.length > 0 && !st.isDirectory()) {
      return undefined;
    }
  }
  return done.length === 0 ? root : `${root}/${done.join('/')}`;
}

/**
 * The text of a regular file inside the root filesystem, or undefined if there is none there
 * (absent, or not a regular file). Files over MAX_READ_BYTES are refused rather than cut,
 * since half a passwd file would silently lose users.
 */
export function readImageFile(rootfs: string, path: string): string | undefined {
  const host = resolveInRoot(rootfs, path);
  if (host === undefined) return undefined;
  let fd: number;
  try {
    // O_NOFOLLOW: the last component was checked not to be a link; O_NONBLOCK: a fifo planted
    // where a file is expected must not hang us before fstat says what it is.
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw new SkiffError('internal', `cannot read ${path} in the container's root filesystem: ${messageOf(err)}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > MAX_READ_BYTES) {
      throw new SkiffError('unsupported', `cannot read ${path} in the container's root filesystem: it is larger than 1 MiB`);
    }
    // One byte over the cap tells a file that grew since fstat from one that fits.
    const buf = Buffer.allocUnsafe(MAX_READ_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > MAX_READ_BYTES) {
      throw new SkiffError('unsupported', `cannot read ${path} in the container's root filesystem: it is larger than 1 MiB`);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
