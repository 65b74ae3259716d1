// Reads a directory tree into a comparable description, and mounts an image's snapshot chain
// read-only with overlayfs so tests see exactly what a container will see.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lgetxattr, llistxattr } from '../../src/sys/libc.js';
import { openStore } from '../../src/store/store.js';
import { formatReference, parseReference } from '../../src/oci/reference.js';

export interface Node {
  type: 'file' | 'dir' | 'symlink' | 'chardev' | 'blockdev' | 'fifo' | 'socket';
  mode: number;
  uid: number;
  gid: number;
  content?: string; // sha256 of file contents, or the text for short files
  target?: string;
  rdev?: string;
  xattrs?: Record<string, string>; // hex values
  /** Files sharing an inode share this group (the smallest path of the group). */
  link?: string;
  mtime?: number;
}

export function readTree(root: string, opts: { xattrs?: boolean; mtimes?: boolean } = {}): Map<string, Node> {
  const out = new Map<string, Node>();
  const inodes = new Map<string, string[]>();
  const walk = (rel: string): void => {
    const abs = rel === '' ? root : join(root, rel);
    for (const name of readdirSync(abs).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = join(root, r);
      const st = lstatSync(p);
      const type: Node['type'] = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'chardev' : st.isBlockDevice() ? 'blockdev' : st.isFIFO() ? 'fifo' : 'socket';
      const n: Node = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (type === 'file') {
        const data = readFileSync(p);
        n.content = data.length <= 64 && !data.includes(0) ? data.toString('utf8') : createHash('sha256').update(data).digest('hex');
        const key = `${st.dev}:${st.ino}`;
        inodes.set(key, [...(inodes.get(key) ?? []), r]);
      }
      if (type === 'symlink') {
        n.target = readlinkSync(p);
        delete (n as Partial<Node>).mode;
      }
      if (type === 'chardev' || type === 'blockdev') n.rdev = `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
      if (opts.mtimes) n.mtime = Math.floor(st.mtimeMs / 1000);
      if (opts.xattrs) {
        const names = llistxattr(p).filter((x) => !x.startsWith('security.selinux'));
        if (names.length > 0) n.xattrs = Object.fromEntries(names.sort().map((x) => [x, lgetxattr(p, x)!.toString('hex')]));
      }
      out.set(r, n);
      if (type === 'dir') walk(r);
    }
  };
  walk('');
  for (const paths of inodes.values()) {
    if (paths.length < 2) continue;
    const group = [...paths].sort()[0]!;
    for (const p of paths) out.get(p)!.link = group;
  }
  return out;
}

/** Mounts the image's layers read-only (overlayfs, as containers will see them); returns the mountpoint and an unmount. */
/** `userxattr`: a rootless store's layers, whose whiteouts are in user.* xattrs. */
export function mountImage(root: string, image: string, opts: { userxattr?: boolean } = {}): { dir: string; unmount: () => void } {
  const store = openStore(root);
  let lowers: string[];
  try {
    const rec = store.images.get(formatReference(parseReference(image)));
    if (!rec) throw new Error(`image ${image} not in store`);
    lowers = rec.layers.map((l) => store.snapshots.get(l.chainId)!.dir).reverse();
  } finally {
    store.close();
  }
  const base = mkdtempSync(join(tmpdir(), 'skiff-mnt-'));
  const dir = join(base, 'm');
  mkdirSync(dir);
  if (lowers.length === 1) {
    // overlayfs wants two lowers without an upper; an empty one changes nothing.
    const empty = join(base, 'empty');
    mkdirSync(empty);
    lowers.push(empty);
  }
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,${opts.userxattr ? 'userxattr,' : ''}lowerdir=${lowers.join(':')}`, dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Entries of a tree as a plain object, for deepEqual with readable diffs. */
export function asObject(tree: Map<string, Node>): Record<string, Node> {
  return Object.fromEntries(tree);
}

/** Expected-tree builders: a file, a directory, a symlink, root-owned with tar's default modes. */
export function f(content: string, extra: Partial<Node> = {}): Node {
  return { type: 'file', mode: 0o644, uid: 0, gid: 0, content, ...extra };
}
export function d(extra: Partial<Node> = {}): Node {
  return { type: 'dir', mode: 0o755, uid: 0, gid: 0, ...extra };
}
export function l(target: string): Node {
  return { type: 'symlink', uid: 0, gid: 0, target } as Node;
}
