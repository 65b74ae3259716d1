// Keeps a pull from filling the disk skiff's root is on. A layer's unpacked size is known only
// once it is unpacked, and gzip expands up to ~1000:1, so a small blob can carry a layer far
// larger than the disk (a "zip bomb"). Writers charge what they are about to write; the guard
// asks the filesystem how much is left and stops the pull while a reserve is still free, so
// the host's other users of the disk never see it full. The reserve is 5% of the filesystem,
// at most 256 MiB (and 5% of its inodes, at most 10,000), or SKIFF_MIN_FREE: enough that other
// writers on the disk keep working, small enough that a nearly full disk still takes an image
// that fits (docker and podman keep no reserve at all).
import { SkiffError } from '../errors.js';
import { freeSpace } from '../sys/free-space.js';

export interface SpaceReserve {
  bytes: number;
  inodes: number;
}

/** How often the filesystem is asked at most: between checks, a writer may write this much. */
const CHECK_BYTES = 16 * 1024 * 1024;
const CHECK_INODES = 1000;
const DEFAULT_BYTES = 256 * 1024 ** 2;
const DEFAULT_INODES = 10_000;
const SHARE = 0.05;

/** The reserve to keep on the filesystem holding dir: SKIFF_MIN_FREE (bytes, k/m/g/t, or a percentage) or the default. */
export function reserveFor(dir: string, env: NodeJS.ProcessEnv = process.env): SpaceReserve {
  const fs = freeSpace(dir);
  const inodes = Math.min(DEFAULT_INODES, Math.floor(fs.totalInodes * SHARE));
  const spec = env.SKIFF_MIN_FREE?.trim();
  if (!spec) return { bytes: Math.min(DEFAULT_BYTES, Math.floor(fs.totalBytes * SHARE)), inodes };
  const m = /^(\d+(?:\.\d+)?)\s*(%|[kmgt]i?b?|b)?$/i.exec(spec);
  if (!m) throw new SkiffError('usage', `SKIFF_MIN_FREE=${spec} is not a size: give bytes, a size like 512m or 2g, or a percentage like 5%`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '%') {
    if (n > 100) throw new SkiffError('usage', `SKIFF_MIN_FREE=${spec} is more than the whole filesystem`);
    return { bytes: Math.floor((fs.totalBytes * n) / 100), inodes: Math.floor((fs.totalInodes * n) / 100) };
  }
  const power = ' kmgt'.indexOf(unit[0] ?? ' ');
  // An explicit size speaks for bytes only; a size of 0 turns the guard off entirely.
  return { bytes: Math.floor(n * 1024 ** Math.max(power, 0)), inodes: n === 0 ? 0 : inodes };
}

export class SpaceGuard {
  private bytesLeft = 0;
  private inodesLeft = 0;

  /** dir: where the writes go (its filesystem is asked); what: the thing being written, for the error ("layer sha256:…"). */
  constructor(private readonly dir: string, private readonly reserve: SpaceReserve, private readonly what: string) {}

  /** Call before writing `bytes` and creating `inodes`: throws once that would eat into the reserve. */
  charge(bytes: number, inodes = 0): void {
    this.bytesLeft -= bytes;
    this.inodesLeft -= inodes;
    if (this.bytesLeft >= 0 && this.inodesLeft >= 0) return;
    const fs = freeSpace(this.dir);
    const room = fs.bytes - this.reserve.bytes - bytes;
    if (room < 0) throw this.full(`less than the ${mb(this.reserve.bytes)}`);
    // Filesystems that count no inodes (btrfs) report 0 of 0; they cannot run out of them.
    const inodeRoom = fs.totalInodes === 0 ? Number.MAX_SAFE_INTEGER : fs.inodes - this.reserve.inodes - inodes;
    if (inodeRoom < 0) throw this.full(`fewer than the ${this.reserve.inodes} inodes`);
    // Other writers (the other layers of this pull, other processes) share the room: check
    // again well before this writer alone could use it up.
    this.bytesLeft = Math.min(CHECK_BYTES, Math.floor(room / 4));
    this.inodesLeft = Math.min(CHECK_INODES, Math.floor(inodeRoom / 4));
  }

  private full(left: string): SkiffError {
    return new SkiffError('no-space', `${this.what} does not fit in ${this.dir}: writing on would leave ${left} skiff keeps free (SKIFF_MIN_FREE sets that)`);
  }
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
