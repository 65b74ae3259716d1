// Path resolution in the merged view of a layer being written (upper) over its parents (lowers),
// the way overlayfs will see them: whiteouts hide, opaque directories stop the descent, symlinks
// in parent components are followed but never leave the root.
import { type Stats, lstatSync, readlinkSync } from 'node:fs';
import { SkiffError } from '../../errors.js';
import { lgetxattr } from '../../sys/libc.js';

export interface WhiteoutFormat {
  /** xattr that marks an opaque directory: trusted.overlay.opaque as root, user.overlay.opaque rootless. */
  opaqueXattr: string;
}

export const OVERLAY_TRUSTED: WhiteoutFormat = { opaqueXattr: 'trusted.overlay.opaque' };
export const OVERLAY_USER: WhiteoutFormat = { opaqueXattr: 'user.overlay.opaque' };

const MAX_SYMLINK_HOPS = 40;

export type Found =
  | { kind: 'none' }
  /** `layer` 0 is the upper; 1.. are lowers, topmost first. */
  | { kind: 'entry'; layer: number; stat: Stats };

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Splits a layer path into clean components, as if rooted at "/": "..", "." and "" vanish at the root. */
export function cleanComponents(path: string): string[] {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/**
 * Thrown when a layer applied before its parents are unpacked (speculatively) needs to know what
 * the parents hold: the caller applies the layer again once they are there.
 */
export class NeedLowersError extends Error {
  constructor(why: string) {
    super(`layer needs its parent layers: ${why}`);
    this.name = 'NeedLowersError';
  }
}

export class MergedView {
  /** layers[0] is the upper directory being written; the rest are read-only lowers. */
  private layers: string[];
  /**
   * False while the parents are still being unpacked elsewhere: lookups then see only the
   * upper, and a path missing there is recorded in `unverified` for a check once they are known.
   */
  private lowersKnown: boolean;
  /** Paths resolved through while the lowers were unknown: each must be a directory or absent below. */
  readonly unverified = new Map<string, string[]>();
  private readonly format: WhiteoutFormat;
  /** Lower layers never change while we apply, so their lookups are cached. */
  private readonly lowerCache = new Map<string, Stats | null>();
  private readonly opaqueCache = new Map<string, boolean>();
  /** Opaque directories of the upper: only the applier makes them, so it tells us. */
  private readonly upperOpaque = new Set<string>();

  /** `lowers` null: not known yet (speculative application). */
  constructor(upper: string, lowers: readonly string[] | null, format: WhiteoutFormat) {
    this.layers = [upper, ...(lowers ?? [])];
    this.lowersKnown = lowers !== null;
    this.format = format;
  }

  get speculative(): boolean {
    return !this.lowersKnown;
  }

  /** The parents are unpacked now: later lookups (and checks of what was assumed) see them. */
  setLowers(lowers: readonly string[]): void {
    this.layers = [this.layers[0]!, ...lowers];
    this.lowersKnown = true;
    this.lowerCache.clear();
    this.opaqueCache.clear();
  }

  get upper(): string {
    return this.layers[0]!;
  }

  layerPath(layer: number, rel: readonly string[]): string {
    return rel.length === 0 ? this.layers[layer]! : `${this.layers[layer]!}/${rel.join('/')}`;
  }

  private statIn(layer: number, rel: readonly string[]): Stats | undefined {
    const p = this.layerPath(layer, rel);
    if (layer === 0) return lstatOrUndefined(p);
    let v = this.lowerCache.get(p);
    if (v === undefined) {
      v = lstatOrUndefined(p) ?? null;
      this.lowerCache.set(p, v);
    }
    return v ?? undefined;
  }

  markOpaque(rel: readonly string[]): void {
    this.upperOpaque.add(rel.join('/'));
  }

  /** Forgets rel and everything under it (the applier removed that tree). */
  unmarkOpaque(rel: readonly string[]): void {
    const key = rel.join('/');
    for (const k of this.upperOpaque) {
      if (k === key || k.startsWith(`${key}/`)) this.upperOpaque.delete(k);
    }
  }

  isOpaque(layer: number, rel: readonly string[]): boolean {
    if (layer === 0) return this.upperOpaque.has(rel.join('/'));
    const p = this.layerPath(layer, rel);
    const cached = this.opaqueCache.get(p);
    if (cached !== undefined) return cached;
    let v: boolean;
    try {
      v = lgetxattr(p, this.format.opaqueXattr)?.toString() === 'y';
    } catch {
      v = false;
    }
    this.opaqueCache.set(p, v);
    return v;
  }

  /**
   * Looks up `rel` (real components: no symlinks among the parents) in the merged view, without
   * following a symlink in the last component. Returns the topmost layer that has it.
   */
  lookup(rel: readonly string[], fromLayer = 0): Found {
    // Walk the layers top-down; any parent that is a whiteout, a non-directory or opaque in a
    // higher layer hides the lower ones, just as overlayfs decides.
    for (let layer = fromLayer; layer < this.layers.length; layer++) {
      // A lower layer's parent that is not a directory (a symlink above all, under a directory of
      // a higher layer) ends the merge there, as in overlayfs; lstat must not walk through it: it
      // would follow the symlink out of the root, to the host. (The upper's parents are checked
      // directories: the applier resolves them afresh whenever a symlink appears.)
      if (layer > 0 && this.parentNotDir(layer, rel)) return { kind: 'none' };
      const st = this.statIn(layer, rel);
      if (st !== undefined) {
        if (isWhiteout(st)) return { kind: 'none' };
        return { kind: 'entry', layer, stat: st };
      }
      if (this.hidesBelow(layer, rel)) return { kind: 'none' };
    }
    if (!this.lowersKnown) throw new NeedLowersError(`/${rel.join('/')}`);
    return { kind: 'none' };
  }

  /** lookup; while the lowers are unknown, 'below' stands for "not in the upper, so up to the parents". */
  lookupOrBelow(rel: readonly string[]): Found | { kind: 'below' } {
    try {
      return this.lookup(rel);
    } catch (err) {
      if (err instanceof NeedLowersError) return { kind: 'below' };
      throw err;
    }
  }

  /** lookupOrBelow, with 'below' assumed absent and recorded for the check once the lowers are known. */
  private lookupOrAssume(rel: string[]): Found {
    const found = this.lookupOrBelow(rel);
    if (found.kind !== 'below') return found;
    this.unverified.set(rel.join('/'), [...rel]);
    return { kind: 'none' };
  }

  /** Is one of rel's parents, in `layer` itself, something other than a directory? */
  private parentNotDir(layer: number, rel: readonly string[]): boolean {
    for (let i = 1; i < rel.length; i++) {
      const st = this.statIn(layer, rel.slice(0, i));
      if (st === undefined) return false;
      if (!st.isDirectory()) return true;
    }
    return false;
  }

  /** Does `layer` hide `rel` in lower layers through one of rel's parents (whiteout, non-dir or opaque)? */
  private hidesBelow(layer: number, rel: readonly string[]): boolean {
    for (let i = 0; i < rel.length; i++) {
      const parent = rel.slice(0, i);
      const here = rel.slice(0, i + 1);
      if (i > 0 && this.isOpaque(layer, parent)) return true;
      const st = this.statIn(layer, here);
      if (st === undefined) return false;
      if (!st.isDirectory()) return true;
    }
    return rel.length > 0 && this.isOpaque(layer, rel.slice(0, rel.length - 1));
  }

  /**
   * Resolves a directory path from a layer entry to real components, following symlinks in the
   * merged view and clamping at the root, so nothing resolves outside. Components that do not
   * exist are kept as they are (the caller creates them); a non-directory in the way is an error.
   */
  resolveDir(components: readonly string[], entryPath: string): string[] {
    const out: string[] = [];
    const pending = [...components];
    let hops = 0;
    while (pending.length > 0) {
      const c = pending.shift()!;
      if (c === '.' || c === '') continue;
      if (c === '..') {
        out.pop();
        continue;
      }
      out.push(c);
      const found = this.lookupOrAssume(out);
      if (found.kind === 'none') continue;
      const st = found.stat;
      if (st.isDirectory()) continue;
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new SkiffError('hostile-layer', `too many levels of symbolic links resolving ${JSON.stringify(entryPath)}`);
        }
        const target = readlinkSync(this.layerPath(found.layer, out));
        out.pop();
        if (target.startsWith('/')) out.length = 0;
        pending.unshift(...target.split('/'));
        continue;
      }
      throw new SkiffError('hostile-layer', `cannot apply ${JSON.stringify(entryPath)}: /${out.join('/')} is not a directory`);
    }
    return out;
  }
}
