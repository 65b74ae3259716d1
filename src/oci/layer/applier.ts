// skiff's OCI layer applier. It writes one layer's changes into an empty snapshot directory (the
// future overlay upperdir) over its parents, in overlayfs form: a deletion is a 0/0 character
// device, an opaque directory carries the opaque xattr. Every path is resolved inside the root
// through MergedView; nothing here follows a symlink that the layer controls.
import {
  closeSync, copyFileSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync,
  lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeSync, chmodSync, type Stats,
} from 'node:fs';
import { SkiffError, messageOf } from '../../errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, lgetxattr, llistxattr, lsetxattr, mknod } from '../../sys/libc.js';
import type { TarHeader, TarSink } from '../tar/reader.js';
import { MergedView, NeedLowersError, type WhiteoutFormat, cleanComponents, isWhiteout } from './merged-view.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export interface ApplyOptions {
  format: WhiteoutFormat;
  /** False for an ordinary user: ownership is kept as-is and device nodes cannot be made. */
  privileged: boolean;
  /** Root in a rootless user namespace: ids within its map are kept, device nodes are left out. */
  userNamespace?: boolean;
  /** Told before each entry (one inode) and each write, so a layer larger than the disk stops early. */
  space?: { charge(bytes: number, inodes?: number): void };
}

/** chown to a tar entry's ids; an id the user namespace does not map is a clear error. */
function chownEntry(chown: () => void, h: TarHeader): void {
  try {
    chown();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    throw new SkiffError('unsupported', `${h.path} is owned by ${h.uid}:${h.gid}, an id your user namespace does not map; give your user more subordinate ids in /etc/subuid and /etc/subgid`);
  }
}

export interface ApplyStats {
  entries: number;
  /** Bytes of regular file content written. */
  bytes: number;
}

interface DirTimes { path: string; atime: number; mtime: number }

/** xattrs a layer may not set: they would steer overlayfs itself (opaque, redirect, metacopy). */
function isForbiddenXattr(name: string): boolean {
  return /^(trusted|user)\.overlay\./.test(name);
}

export class LayerApplier implements TarSink {
  private readonly view: MergedView;
  private readonly opts: ApplyOptions;
  private readonly dirCache = new Map<string, string[]>();
  /** Real paths known to be directories in the upper (so ensureDir need not lstat them again). */
  private readonly ensured = new Set<string>();
  private readonly dirTimes: DirTimes[] = [];
  private fd = -1;
  private current: TarHeader | undefined;
  private currentPath = '';
  private written = 0;
  readonly stats: ApplyStats = { entries: 0, bytes: 0 };

  /** Parents that a speculative application assumed to be directories below (whiteout parents). */
  private readonly mustExist = new Map<string, string[]>();
  /** Directories this layer created only as parents, by absolute path: their metadata comes from below. */
  private readonly implicit = new Map<string, string[]>();

  /**
   * `lowers` null applies the layer speculatively, before its parents are unpacked: what it would
   * need from them is assumed and recorded, or NeedLowersError is thrown; completeSpeculation()
   * later checks the assumptions against the real parents.
   */
  constructor(upper: string, private lowers: readonly string[] | null, opts: ApplyOptions) {
    this.view = new MergedView(upper, lowers, opts.format);
    this.opts = opts;
  }

  /**
   * After a speculative application, with the parents now unpacked: true when every assumption
   * held (implied directories then get their metadata from below, as a normal application gives
   * them); false when the layer must be applied again with its parents.
   */
  completeSpeculation(lowers: readonly string[]): boolean {
    this.lowers = lowers;
    this.view.setLowers(lowers);
    for (const rel of this.view.unverified.values()) {
      const f = this.view.lookup(rel, 1);
      if (f.kind === 'entry' && !f.stat.isDirectory()) return false;
    }
    for (const rel of this.mustExist.values()) {
      const f = this.view.lookup(rel, 1);
      if (f.kind !== 'entry' || !f.stat.isDirectory()) return false;
    }
    for (const [abs, rel] of this.implicit) {
      const f = this.view.lookup(rel, 1);
      if (f.kind !== 'entry' || lstatUpper(abs) === undefined) continue;
      const st = f.stat;
      if (this.opts.privileged) lchownSync(abs, st.uid, st.gid);
      chmodSync(abs, st.mode & 0o7777);
      lutimesSync(abs, st.atimeMs / 1000, st.mtimeMs / 1000);
    }
    return true;
  }

  entry(h: TarHeader): void {
    this.stats.entries++;
    this.current = h;
    try {
      this.opts.space?.charge(0, 1);
      this.applyEntry(h);
    } catch (err) {
      throw wrap(err, h.path);
    }
  }

  data(chunk: Buffer): void {
    if (this.fd < 0) return;
    try {
      this.opts.space?.charge(chunk.length);
      this.written += writeSync(this.fd, chunk);
    } catch (err) {
      throw wrap(err, this.current?.path ?? '');
    }
  }

  endEntry(): void {
    const h = this.current;
    if (this.fd >= 0 && h) {
      const fd = this.fd;
      this.fd = -1;
      try {
        if (this.written !== h.size) throw new SkiffError('hostile-layer', `short write for ${h.path}`);
        this.stats.bytes += h.size;
        if (this.opts.privileged) chownEntry(() => fchownSync(fd, h.uid, h.gid), h);
        // chmod after chown: chown clears setuid/setgid.
        fchmodSync(fd, h.mode);
        this.setXattrs(this.currentPath, h);
        futimesSync(fd, h.atime ?? h.mtime, h.mtime);
      } catch (err) {
        throw wrap(err, h.path);
      } finally {
        closeSync(fd);
      }
    }
    this.current = undefined;
  }

  /** Directory times last: writing children changed them. */
  finish(): ApplyStats {
    for (const d of this.dirTimes) {
      try {
        lutimesSync(d.path, d.atime, d.mtime);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw wrap(err, d.path);
      }
    }
    return this.stats;
  }

  /** Releases an open file after a failure part-way. */
  abort(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private applyEntry(h: TarHeader): void {
    const comps = cleanComponents(h.path);
    if (comps.length === 0) {
      if (h.type === 'directory') this.setMeta(this.view.upper, h, true);
      return;
    }
    const name = comps[comps.length - 1]!;
    if (name.startsWith(WHITEOUT_PREFIX)) {
      this.applyWhiteout(comps.slice(0, -1), name, h.path);
      return;
    }
    const parent = this.ensureDir(comps.slice(0, -1), h.path);
    const rel = [...parent, name];
    const abs = this.view.layerPath(0, rel);
    if (!this.clearFor(rel, abs, h.type === 'directory')) return;
    switch (h.type) {
      case 'directory':
        mkdirSync(abs, { mode: 0o700 });
        this.setMeta(abs, h, true);
        break;
      case 'file':
        this.fd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        this.written = 0;
        this.currentPath = abs;
        break;
      case 'symlink':
        symlinkSync(h.linkpath, abs);
        this.setMeta(abs, h, false);
        break;
      case 'hardlink':
        this.applyHardlink(h, abs);
        break;
      case 'chardev':
      case 'blockdev':
      case 'fifo': {
        // A user namespace cannot make device nodes: they are left out, as docker's and podman's rootless unpacking does.
        if (this.opts.userNamespace && h.type !== 'fifo') break;
        if (!this.opts.privileged && h.type !== 'fifo') {
          throw new SkiffError('unsupported', `device node ${h.path} cannot be created without privileges`);
        }
        const kind = h.type === 'chardev' ? S_IFCHR : h.type === 'blockdev' ? S_IFBLK : S_IFIFO;
        mknod(abs, kind | 0o600, h.devmajor, h.devminor);
        this.setMeta(abs, h, false);
        break;
      }
    }
  }

  /**
   * Makes room at `rel` in the upper for a new entry. A same-layer entry is replaced (a later
   * entry wins) except directory over directory, which merges. Returns false when there is
   * nothing to create (an existing directory whose metadata the caller still sets).
   */
  private clearFor(rel: string[], abs: string, isDir: boolean): boolean {
    const st = lstatUpper(abs);
    if (st === undefined) {
      // A new symlink, or a directory over a lower layer's symlink, changes what paths through
      // rel resolve to: resolutions cached before (through a lower directory or symlink, or a
      // path that did not exist yet) are stale, and a stale one would walk through the new
      // symlink on the host's terms.
      if (this.current!.type === 'symlink' || (isDir && !this.view.speculative && this.lowerIsSymlink(rel))) this.invalidate();
      return true;
    }
    if (isDir && st.isDirectory()) {
      this.setMeta(abs, this.current!, true);
      return false;
    }
    const wasWhiteout = isWhiteout(st);
    removeTree(abs, st);
    this.invalidate();
    this.view.unmarkOpaque(rel);
    // A directory replacing a deleted one must not show the deleted one's lower contents.
    if (wasWhiteout && isDir) {
      mkdirSync(abs, { mode: 0o700 });
      this.makeOpaque(rel, abs);
      this.setMeta(abs, this.current!, true);
      return false;
    }
    return true;
  }

  private lowerIsSymlink(rel: string[]): boolean {
    const found = this.view.lookup(rel);
    return found.kind === 'entry' && found.stat.isSymbolicLink();
  }

  private applyWhiteout(parentComps: string[], name: string, entryPath: string): void {
    const parent = this.resolveExistingDir(parentComps, entryPath);
    if (parent === undefined) return; // nothing below to hide
    if (name === OPAQUE_WHITEOUT) {
      const dir = this.ensureDir(parent, entryPath);
      this.makeOpaque(dir, this.view.layerPath(0, dir));
      if (dir.length === 0) this.hideLowerRoot();
      return;
    }
    if (name.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // other AUFS metadata
    const target = name.slice(WHITEOUT_PREFIX.length);
    if (target === '' || target === '.' || target === '..' || target.includes('/')) {
      throw new SkiffError('hostile-layer', `invalid whiteout ${JSON.stringify(entryPath)}`);
    }
    const rel = [...parent, target];
    const found = this.view.lookupOrBelow(rel);
    if (found.kind === 'none') return;
    if (found.kind === 'entry' && found.layer === 0) {
      // Whiteouts hide lower layers only: a same-layer entry stays; a same-layer directory
      // additionally must stop showing what lower layers had under that name.
      if (found.stat.isDirectory()) this.makeOpaque(rel, this.view.layerPath(0, rel));
      return;
    }
    this.ensureDir(parent, entryPath);
    const abs = this.view.layerPath(0, rel);
    mknod(abs, S_IFCHR | 0o600, 0, 0);
    this.invalidate();
  }

  /**
   * overlayfs ignores the opaque xattr on a layer's root directory, so an opaque root is also
   * spelled out: a whiteout for each name the lower roots have, or (for a directory this layer
   * already made there) the opaque xattr on it.
   */
  private hideLowerRoot(): void {
    if (this.lowers === null) throw new NeedLowersError('opaque root');
    const names = new Set<string>();
    for (const lower of this.lowers) for (const n of readdirSync(lower)) names.add(n);
    for (const n of names) {
      const abs = this.view.layerPath(0, [n]);
      const st = lstatUpper(abs);
      if (st === undefined) mknod(abs, S_IFCHR | 0o600, 0, 0);
      else if (st.isDirectory()) this.makeOpaque([n], abs);
    }
    this.invalidate();
  }

  private applyHardlink(h: TarHeader, abs: string): void {
    const comps = cleanComponents(h.linkpath);
    if (comps.length === 0) throw new SkiffError('hostile-layer', `hardlink ${JSON.stringify(h.path)} points at the root`);
    const parent = this.resolveExistingDir(comps.slice(0, -1), h.linkpath);
    const found = parent === undefined ? { kind: 'none' as const } : this.view.lookup([...parent, comps[comps.length - 1]!]);
    if (found.kind === 'none') {
      throw new SkiffError('hostile-layer', `hardlink ${JSON.stringify(h.path)} points at missing ${JSON.stringify(h.linkpath)}`);
    }
    if (found.stat.isDirectory()) throw new SkiffError('hostile-layer', `hardlink ${JSON.stringify(h.path)} points at a directory`);
    const src = this.view.layerPath(found.layer, [...parent!, comps[comps.length - 1]!]);
    if (src === abs) return;
    if (found.layer === 0) {
      linkSync(src, abs);
      return;
    }
    // A link to a lower layer's file cannot cross snapshots: this layer gets its own copy.
    copyNode(src, abs, found.stat, this.opts.privileged);
  }

  private makeOpaque(rel: string[], abs: string): void {
    lsetxattr(abs, this.opts.format.opaqueXattr, Buffer.from('y'));
    this.view.markOpaque(rel);
  }

  /** Resolves a parent path that must already exist somewhere in the merged view; undefined if it does not. */
  private resolveExistingDir(comps: string[], entryPath: string): string[] | undefined {
    const real = this.resolveCached(comps, entryPath);
    if (real.length === 0) return real;
    const found = this.view.lookupOrBelow(real);
    if (found.kind === 'below') {
      this.mustExist.set(real.join('/'), real);
      return real;
    }
    return found.kind === 'entry' && found.stat.isDirectory() ? real : undefined;
  }


  /** Forgets cached resolutions: something in the upper changed what a path may resolve to. */
  private invalidate(): void {
    this.dirCache.clear();
    this.ensured.clear();
  }

  private resolveCached(comps: string[], entryPath: string): string[] {
    const key = comps.join('/');
    let real = this.dirCache.get(key);
    if (real === undefined) {
      real = this.view.resolveDir(comps, entryPath);
      this.dirCache.set(key, real);
    }
    return real;
  }

  /** Resolves and creates (in the upper) a directory, copying up metadata of lower directories. */
  private ensureDir(comps: string[], entryPath: string): string[] {
    const real = this.resolveCached(comps, entryPath);
    const key = real.join('/');
    if (this.ensured.has(key)) return real;
    for (let i = 1; i <= real.length; i++) {
      const rel = real.slice(0, i);
      const abs = this.view.layerPath(0, rel);
      const st = lstatUpper(abs);
      if (st !== undefined) {
        if (st.isDirectory()) continue;
        if (!isWhiteout(st)) throw new SkiffError('hostile-layer', `cannot apply ${JSON.stringify(entryPath)}: /${rel.join('/')} is not a directory`);
        unlinkSync(abs);
        mkdirSync(abs, { mode: 0o755 });
        this.makeOpaque(rel, abs);
        this.invalidate();
        continue;
      }
      const below = this.view.lookupOrBelow(rel);
      mkdirSync(abs, { mode: 0o755 });
      if (below.kind === 'below') {
        chmodSync(abs, 0o755);
        this.implicit.set(abs, rel);
      } else if (below.kind === 'entry' && below.stat.isDirectory()) {
        const s = below.stat;
        if (this.opts.privileged) lchownSync(abs, s.uid, s.gid);
        chmodSync(abs, s.mode & 0o7777);
        this.dirTimes.push({ path: abs, atime: s.atimeMs / 1000, mtime: s.mtimeMs / 1000 });
      } else {
        chmodSync(abs, 0o755); // an implied directory, as tar makes it, whatever the umask
      }
    }
    for (let i = 1; i <= real.length; i++) this.ensured.add(real.slice(0, i).join('/'));
    return real;
  }

  private setMeta(abs: string, h: TarHeader, isDir: boolean): void {
    if (isDir) this.implicit.delete(abs);
    if (this.opts.privileged) chownEntry(() => lchownSync(abs, h.uid, h.gid), h);
    if (h.type !== 'symlink') chmodSync(abs, h.mode);
    this.setXattrs(abs, h);
    if (isDir) this.dirTimes.push({ path: abs, atime: h.atime ?? h.mtime, mtime: h.mtime });
    else lutimesSync(abs, h.atime ?? h.mtime, h.mtime);
  }

  private setXattrs(abs: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) {
      if (isForbiddenXattr(name)) continue;
      try {
        lsetxattr(abs, name, value);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Filesystems without a namespace (or unprivileged writers to trusted.*) lose only
        // attributes nothing in the image can rely on; file capabilities must land or fail.
        if ((code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM') && name !== 'security.capability') continue;
        throw err;
      }
    }
  }
}

/** The upper's parents are real directories we made or checked, so a plain lstat is exact. */
function lstatUpper(abs: string): Stats | undefined {
  return lstatSync(abs, { throwIfNoEntry: false });
}

function removeTree(abs: string, st: Stats): void {
  if (st.isDirectory()) rmSync(abs, { recursive: true, force: true });
  else unlinkSync(abs);
}

/** Copies a lower layer's non-directory into the upper with its metadata and xattrs. */
function copyNode(src: string, dst: string, st: Stats, privileged: boolean): void {
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
  else if (st.isFile()) copyFileSync(src, dst, fsc.COPYFILE_EXCL);
  else if (privileged) mknod(dst, (st.mode & ~0o7777) | 0o600, devMajor(st.rdev), devMinor(st.rdev));
  else throw new SkiffError('unsupported', `cannot copy device node ${src} without privileges`);
  if (privileged) lchownSync(dst, st.uid, st.gid);
  for (const name of llistxattr(src)) {
    const v = lgetxattr(src, name);
    if (v !== undefined && !isForbiddenXattr(name)) lsetxattr(dst, name, v);
  }
  if (!st.isSymbolicLink()) chmodSync(dst, st.mode & 0o7777);
  lutimesSync(dst, st.atimeMs / 1000, st.mtimeMs / 1000);
}

function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

function wrap(err: unknown, path: string): Error {
  if (err instanceof SkiffError || err instanceof NeedLowersError) return err;
  return new SkiffError('store', `cannot apply layer entry ${JSON.stringify(path)}: ${messageOf(err)}`, { cause: err });
}
