// The addon built from native/skiff-sys.c (scripts/build-native.mjs): the Linux calls Node
// lacks. Each returns the call's result, or -errno. Loaded on first use, from dist/native,
// which the bundle (dist/bundle) and the modules (dist/src/...) both have above them.
import { fileAbove } from './package-file.js';

/** posix_spawn file actions, in order: dup2(fd, newfd), or open(path, flags) as fd. */
export type SpawnAction = [kind: 0, fd: number, newfd: number] | [kind: 1, fd: number, flags: number, path: string];
export const ACTION_DUP2 = 0;
export const ACTION_OPEN = 1;

export interface SkiffSys {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): number;
  umount2(target: string, flags: number): number;
  mknod(path: string, mode: number, major: number, minor: number): number;
  lsetxattr(path: string, name: string, value: Buffer, flags: number): number;
  /** The value's length, written into buf. */
  lgetxattr(path: string, name: string, buf: Buffer): number;
  /** The NUL-separated names' length, written into buf. */
  llistxattr(path: string, buf: Buffer): number;
  flock(fd: number, operation: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  read(fd: number, buf: Buffer): number;
  /** The two fds, as two int32s, into fds (8 bytes). */
  pipe2(flags: number, fds: Buffer): number;
  /** The pid, or 0 when WNOHANG finds it running; its status as an int32 into status. */
  waitpid(pid: number, options: number, status: Buffer): number;
  /** posix_spawn with every signal at its default and none blocked: the pid. */
  spawn(path: string, argv: string[], envp: string[], actions: SpawnAction[]): number;
}

let loaded: SkiffSys | undefined;

export function sys(): SkiffSys {
  if (!loaded) {
    const file = fileAbove('native/skiff-sys.node');
    if (!file) throw new Error("skiff's native part (dist/native/skiff-sys.node) is not built: run npm run build");
    const m = { exports: {} as SkiffSys };
    // process.dlopen rather than require: no module resolution for a path already known.
    process.dlopen(m, file);
    loaded = m.exports;
  }
  return loaded;
}
