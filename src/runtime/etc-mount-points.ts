// runc bind-mounts a container's hosts, hostname and resolv.conf onto /etc. For an image that
// lacks them, runc creates them inside the mounted root: an overlay copy-up of /etc in the
// middle of every start (~3 ms of `run`). Made in the upper directory before the root is
// mounted they cost a few calls, and the root holds the same as after runc made them (as
// docker's init layer holds them), but /etc keeps the image's mode, owner and times.
import { chmodSync, chownSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergedView, type WhiteoutFormat } from '../oci/layer/merged-view.js';

export const ETC_MOUNT_POINTS = ['hosts', 'hostname', 'resolv.conf'];

/**
 * Makes the mount points the image lacks in `upper`, which must not be mounted. `lowers`: the
 * image's layer directories, topmost first. An /etc that is no directory (a symlink) is left
 * to runc, which resolves it inside the root.
 */
export function prepareEtcMountPoints(upper: string, lowers: readonly string[], format: WhiteoutFormat): void {
  const view = new MergedView(upper, lowers, format);
  const etc = view.lookup(['etc']);
  if (etc.kind === 'entry' && !etc.stat.isDirectory()) return;
  const missing = ETC_MOUNT_POINTS.filter((name) => view.lookup(['etc', name]).kind === 'none');
  if (missing.length === 0) return;
  const dir = join(upper, 'etc');
  const inUpper = etc.kind === 'entry' && etc.layer === 0;
  if (!inUpper) mkdirSync(dir);
  for (const name of missing) writeFileSync(join(dir, name), '', { mode: 0o644 });
  if (inUpper) return;
  // A directory over the image's, which overlayfs merges with it: it must look like the image's.
  // chown first: it clears the set-id bits chmod sets.
  const image = etc.kind === 'entry' ? etc.stat : undefined;
  if (image) chownSync(dir, image.uid, image.gid);
  chmodSync(dir, image ? image.mode & 0o7777 : 0o755);
  if (image) utimesSync(dir, image.atime, image.mtime);
}
