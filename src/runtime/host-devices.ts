// The host's device nodes under /dev, for --privileged, which docker and nerdctl give every
// host device (containerd's HostDevices walks /dev the same way).
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LinuxDevice } from '../oci/runtime-types.js';

// Directories that hold per-container filesystems or aliases, not devices of their own.
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

// glibc's gnu_dev_major/gnu_dev_minor: the 64-bit dev_t keeps 12+20 bits of major and
// 8+24 bits of minor in two places.
function major(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
function minor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

const vanishedOrDenied = (err: unknown): boolean =>
  ['ENOENT', 'EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException | null)?.code ?? '');

/** Character and block devices below `dir`, skipping symlinks (aliases) and /dev/console (runc makes its own). */
export function listHostDevices(dir = '/dev'): LinuxDevice[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (vanishedOrDenied(err)) return [];
    throw err;
  }
  const out: LinuxDevice[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path, { bigint: true });
    } catch (err) {
      if (vanishedOrDenied(err)) continue;
      throw err;
    }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...listHostDevices(path));
      continue;
    }
    if (name === 'console' && dir === '/dev') continue;
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
    if (!type) continue;
    out.push({
      type,
      path,
      major: major(st.rdev),
      minor: minor(st.rdev),
      fileMode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
    });
  }
  return out;
}
