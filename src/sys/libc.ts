// The few Linux calls Node lacks, through koffi. Each throws a Node-style error (code = errno name)
// so callers handle them like fs errors.
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { createRequire } from 'node:module';
import type KoffiModule from 'koffi';
import { packageFile } from './package-file.js';

type Fn = (...args: unknown[]) => number | bigint;

interface Libc { mknod: Fn; lsetxattr: Fn; lgetxattr: Fn; llistxattr: Fn; mount: Fn; umount2: Fn; flock: Fn }

let loaded: Libc | undefined;
let koffiModule: typeof KoffiModule | undefined;

// koffi's index.js loads its installer's https, zlib and crypto before the native module
// (~8 ms, most of what `run` spends on it); the native module alone loads in ~2 ms and is
// what index.js hands out, less deprecated aliases. Other platforms take the normal path.
function koffi(): typeof KoffiModule {
  if (!koffiModule) {
    const require = createRequire(import.meta.url);
    const addon = packageFile(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`);
    try {
      if (addon) koffiModule = require(addon) as typeof KoffiModule;
    } catch {
      // not loadable here: the package's own loader finds or builds one
    }
    koffiModule ??= require('koffi') as typeof KoffiModule;
  }
  return koffiModule;
}

let libcLib: ReturnType<typeof KoffiModule.load> | undefined;

/** Binds libc functions, named by their C declarations. */
export function libcFunctions(decls: Record<string, string>): Record<string, Fn> {
  const lib = (libcLib ??= koffi().load('libc.so.6'));
  return Object.fromEntries(Object.entries(decls).map(([name, decl]) => [name, lib.func(decl) as Fn]));
}

// Bound on first use: commands that never touch these calls do not pay for loading libc.
function libc(): Libc {
  loaded ??= libcFunctions({
    mknod: 'int mknod(const char *path, uint32_t mode, uint64_t dev)',
    lsetxattr: 'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
    lgetxattr: 'intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)',
    llistxattr: 'intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)',
    mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    umount2: 'int umount2(const char *target, int flags)',
    flock: 'int flock(int fd, int operation)',
  }) as unknown as Libc;
  return loaded;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v as number, k]));

/** The errno of the last call made through koffi on this thread. */
export function lastErrno(): number {
  return koffi().errno();
}

/** A Node-style error for errno (by default, the last call's on this thread). */
export function errnoError(call: string, path: string, errno = koffi().errno()): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
  const err = new Error(`${code}: ${call} ${path}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = -errno;
  err.syscall = call;
  err.path = path;
  return err;
}

function fail(call: string, path: string): never {
  throw errnoError(call, path);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** Linux's makedev encoding. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (libc().mknod(path, mode, makedev(major, minor)) !== 0) fail('mknod', path);
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (libc().lsetxattr(path, name, value, value.length, 0) !== 0) fail('lsetxattr', path);
}

/** The value, or undefined when the attribute is absent. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (let size = 256; size <= 65536 * 4; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(libc().lgetxattr(path, name, buf, size));
    if (n >= 0) return buf.subarray(0, n);
    const errno = koffi().errno();
    if (errno === constants.errno.ENODATA) return undefined;
    if (errno !== constants.errno.ERANGE) fail('lgetxattr', path);
  }
  fail('lgetxattr', path);
}

export function llistxattr(path: string): string[] {
  for (let size = 1024; size <= 65536 * 4; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(libc().llistxattr(path, buf, size));
    if (n >= 0) return buf.subarray(0, n).toString('utf8').split('\0').filter((s) => s.length > 0);
    if (koffi().errno() !== constants.errno.ERANGE) fail('llistxattr', path);
  }
  fail('llistxattr', path);
}

export const MNT_DETACH = 2;

export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  if (libc().mount(source, target, fstype, flags, data) !== 0) fail('mount', target);
}

export function umount2(target: string, flags = 0): void {
  if (libc().umount2(target, flags) !== 0) fail('umount2', target);
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
    if (libc().flock(fd, LOCK_EX) !== 0) fail('flock', path);
    try {
      return await fn();
    } finally {
      libc().flock(fd, LOCK_UN);
    }
  } finally {
    closeSync(fd);
  }
}
