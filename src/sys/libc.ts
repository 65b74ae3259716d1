// The few Linux calls Node lacks, through skiff's addon (src/sys/native.ts). Each throws a
// Node-style error (code = errno name) so callers handle them like fs errors.
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { sys } from './native.js';

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v as number, k]));

/** A Node-style error for errno. */
export function errnoError(call: string, path: string, errno: number): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
  const err = new Error(`${code}: ${call} ${path}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = -errno;
  err.syscall = call;
  err.path = path;
  return err;
}

/** The call's result; a negative one (-errno) is thrown as a Node-style error. */
function check(ret: number, call: string, path: string): number {
  if (ret < 0) throw errnoError(call, path, -ret);
  return ret;
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(sys().mknod(path, mode, major >>> 0, minor >>> 0), 'mknod', path);
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(sys().lsetxattr(path, name, value, 0), 'lsetxattr', path);
}

/** The value, or undefined when the attribute is absent. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (let size = 256; size <= 65536 * 4; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = sys().lgetxattr(path, name, buf);
    if (n >= 0) return buf.subarray(0, n);
    if (-n === constants.errno.ENODATA) return undefined;
    if (-n !== constants.errno.ERANGE) check(n, 'lgetxattr', path);
  }
  throw errnoError('lgetxattr', path, constants.errno.ERANGE);
}

export function llistxattr(path: string): string[] {
  for (let size = 1024; size <= 65536 * 4; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = sys().llistxattr(path, buf);
    if (n >= 0) return buf.subarray(0, n).toString('utf8').split('\0').filter((s) => s.length > 0);
    if (-n !== constants.errno.ERANGE) check(n, 'llistxattr', path);
  }
  throw errnoError('llistxattr', path, constants.errno.ERANGE);
}

export const MNT_DETACH = 2;

export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  check(sys().mount(source, target, fstype, flags, data), 'mount', target);
}

export function umount2(target: string, flags = 0): void {
  check(sys().umount2(target, flags), 'umount2', target);
}

const LOCK_EX = 2;
const LOCK_UN = 8;

// flock excludes open files, not callers: a second holder in this process would block the
// thread its first holder needs to finish. Callers in one process queue here instead.
const lockQueues = new Map<string, Promise<void>>();

/**
 * Runs fn holding an exclusive flock on path (created if missing). The kernel releases the
 * lock if the process dies. Blocks the thread while another process holds it: for short
 * critical sections only.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const before = lockQueues.get(path);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = (before ?? Promise.resolve()).then(() => mine);
  lockQueues.set(path, tail);
  if (before) await before;
  try {
    return await flocked(path, fn);
  } finally {
    release();
    if (lockQueues.get(path) === tail) lockQueues.delete(path);
  }
}

async function flocked<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const fd = openSync(path, 'a', 0o600);
  try {
    check(sys().flock(fd, LOCK_EX), 'flock', path);
    try {
      return await fn();
    } finally {
      sys().flock(fd, LOCK_UN);
    }
  } finally {
    closeSync(fd);
  }
}
