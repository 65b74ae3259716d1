// A container's root: one overlay mount over the image's shared snapshots. Creating a container
// costs one mount whatever the image's size.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { SkiffError, messageOf } from '../errors.js';
import { MNT_DETACH, mount, umount2 } from '../sys/libc.js';

export interface OverlayLayout {
  /** The directory every lower is in; the mount runs with it as cwd so the options stay short. */
  snapshotsDir: string;
  /** Lower directory names (relative to snapshotsDir), top layer first. */
  lowers: string[];
  upper: string;
  work: string;
  target: string;
  /**
   * For roots nobody will mount again (--rm): the kernel skips syncing the upper dir, which
   * makes unmounting ~1-2 ms cheaper. A volatile upper cannot be remounted after a host crash.
   */
  volatile?: boolean;
  /** In a rootless user namespace: whiteouts and opaque dirs are in user.* xattrs (see the applier). */
  userxattr?: boolean;
  /** Rootless only: mount with fuse-overlayfs, which also reads user.overlay.opaque, instead of the kernel's overlay. */
  fuse?: boolean;
}

// The options must fit in one page (4096 bytes, terminator included). Relative paths keep a
// 128-layer image at about 600 bytes where absolute ones under a long --root would not fit.
const PAGE = 4096;

export function overlayOptions(l: OverlayLayout): string {
  const rel = (p: string) => relative(l.snapshotsDir, p);
  return `lowerdir=${l.lowers.join(':')},upperdir=${rel(l.upper)},workdir=${rel(l.work)},index=off${l.userxattr ? ',userxattr' : ''}${l.volatile ? ',volatile' : ''}`;
}

/**
 * The rootless fallback, for kernels whose overlay cannot be mounted in a user namespace with
 * userxattr (before 5.11): a FUSE daemon per root, which exits when the root is unmounted.
 */
function mountFuseOverlay(l: OverlayLayout): void {
  const abs = (p: string) => resolve(l.snapshotsDir, p);
  const r = process.getBuiltinModule('node:child_process').spawnSync('fuse-overlayfs', ['-o', `lowerdir=${l.lowers.map(abs).join(':')},upperdir=${abs(l.upper)},workdir=${abs(l.work)}`, l.target], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exited ${r.status}`);
    throw new SkiffError('store', `cannot mount the container's root filesystem with fuse-overlayfs: ${why}`);
  }
}

export function mountOverlay(l: OverlayLayout): void {
  if (l.fuse) return mountFuseOverlay(l);
  const data = overlayOptions(l);
  if (Buffer.byteLength(data) >= PAGE) {
    throw new SkiffError('unsupported', `cannot mount a root of ${l.lowers.length} layers: the overlay options exceed one page`);
  }
  const cwd = process.cwd();
  process.chdir(l.snapshotsDir);
  try {
    try {
      mount('overlay', l.target, 'overlay', 0, data);
    } catch (err) {
      // Kernels before 5.10 know no volatile: mount as usual there.
      if (!l.volatile || (err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      mount('overlay', l.target, 'overlay', 0, overlayOptions({ ...l, volatile: false }));
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (l.userxattr && (code === 'EPERM' || code === 'EINVAL' || code === 'ENODEV')) {
      return mountFuseOverlay(l);
    }
    throw new SkiffError('store', `cannot mount the container's root filesystem: ${messageOf(err)}`, { cause: err });
  } finally {
    process.chdir(cwd);
  }
}

/**
 * Unmounts until nothing is mounted there (EINVAL: not a mount point), so a root mounted twice
 * by a race is fully taken down; a busy mount (a process still holds it) is detached instead.
 * Returns only when the path is no mount point: callers may then delete below it.
 */
export function unmountOverlay(target: string): void {
  for (let i = 0; i < 8; i++) {
    try {
      umount2(target, 0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return;
      if (code !== 'EBUSY') throw new SkiffError('store', `cannot unmount ${target}: ${messageOf(err)}`, { cause: err });
      umount2(target, MNT_DETACH);
    }
  }
  throw new SkiffError('store', `cannot unmount ${target}: still mounted after 8 attempts`);
}

/** This mount namespace's mount points, in mount order (from /proc/self/mountinfo; no process spawned). */
function mountPoints(): string[] {
  // Field 5 of each line is the mount point, with space, tab, newline and backslash escaped as octal.
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''));
}

/** Whether a path is a mount point in this mount namespace. */
export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}

/** Mount points at or under a directory, deepest last. */
export function mountsUnder(dir: string): string[] {
  return mountPoints().filter((m) => m === dir || m.startsWith(`${dir}/`));
}
