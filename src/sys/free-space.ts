// What a filesystem has left, as an unprivileged process may use it.
import { statfsSync } from 'node:fs';

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use (statfs f_bavail). */
  bytes: number;
  totalBytes: number;
  /** Free inodes; 0 with totalInodes 0 on filesystems that do not count them (btrfs). */
  inodes: number;
  totalInodes: number;
}

export function freeSpace(dir: string): FreeSpace {
  const s = statfsSync(dir);
  return { bytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize, inodes: s.ffree, totalInodes: s.files };
}
