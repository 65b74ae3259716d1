// A synchronous, push-style streaming tar parser for OCI layer application.
//
// Why not node-tar's parser: it decodes PAX values as UTF-8 strings, which corrupts binary
// xattr values such as `security.capability`. This parser keeps PAX values as raw bytes and
// decodes only the keys whose values are text (path, linkpath, uname, gname).
//
// Shape: the caller pushes decompressed bytes in with write(); the parser calls the sink
// synchronously: entry(header), then data(chunk)* for regular files, then endEntry().
// Body bytes are never buffered or copied: data() receives subarrays of the input chunk.
// Header bytes are copied only when a 512-byte header straddles two write() calls.
//
// Formats read: v7, ustar/POSIX (prefix field), star (131-byte prefix), GNU (L/K long
// names, base-256 numbers, old "ustar  \0" magic), PAX ('x' per-entry, 'g' global).
// Not supported (TarFormatError): sparse files ('S', GNU.sparse.* PAX), multi-volume ('M'),
// volume labels ('V'), GNU 'N' long-names-in-file, and any other unknown typeflag.
//
// Decisions that differ between tar implementations, chosen to match Go's archive/tar
// (what containerd, moby and go-containerregistry use to apply OCI layers):
// - Header-only types (hardlink, symlink, chardev, blockdev, directory, fifo) carry no
//   body, whatever their size field says; TarHeader.size is 0 for them.
// - A typeflag '0' or '\0' entry whose final path ends in '/' is a directory (v7 style).
// - The first all-zero block ends the archive (GNU tar's default); anything after it,
//   including a second zero block, gzip padding or garbage, is ignored.
// - end() without an end-of-archive marker is accepted at an entry boundary (many layers
//   omit the trailer); anywhere else it is a truncated archive.

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'directory' | 'fifo';

export interface TarHeader {
  /** As in the archive after PAX/GNU-long overrides, not normalized (caller normalizes). */
  path: string;
  type: TarEntryType;
  /** For hardlink/symlink, else ''. */
  linkpath: string;
  /** Permission + setuid/setgid/sticky bits only (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Body bytes (0 for non-files). */
  size: number;
  /** Seconds, may be fractional from PAX. */
  mtime: number;
  atime?: number;
  devmajor: number;
  devminor: number;
  uname: string;
  gname: string;
  /** From PAX 'SCHILY.xattr.NAME' (raw bytes) and 'LIBARCHIVE.xattr.NAME' (base64-decoded). */
  xattrs: Map<string, Buffer>;
}

export interface TarSink {
  /** Called once per entry, before its data. */
  entry(h: TarHeader): void;
  /**
   * Body bytes of the current entry (only for type 'file'); may be called many times.
   * Chunks may be subarrays of the input: use them synchronously or copy them.
   */
  data(chunk: Buffer): void;
  /** After the last data chunk of each entry (also for empty and non-file entries). */
  endEntry(): void;
}

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/** Largest PAX extended header or GNU long name/link body accepted (hostile input guard). */
const MAX_META_SIZE = 1024 * 1024;
/** Largest total of global PAX state (key + value bytes) kept across 'g' headers. */
const MAX_GLOBAL_SIZE = 1024 * 1024;
/** Largest total of per-entry extended headers (x + L + K) before one entry. */
const MAX_PENDING_META = 4 * MAX_META_SIZE;

const BLOCK = 512;

// Parser states.
const S_HEADER = 0; // collecting a 512-byte header
const S_BODY = 1; // streaming a file body to the sink
const S_SKIP = 2; // skipping padding or an undelivered body
const S_META = 3; // collecting a PAX / GNU long-name body
const S_DONE = 4; // end marker seen: ignore the rest
const S_ENDED = 5; // end() called
const S_FAILED = 6; // an error was thrown; the stream is unusable

// Meta header kinds (the typeflag byte).
const T_PAX = 0x78; // 'x'
const T_GLOBAL = 0x67; // 'g'
const T_LONGNAME = 0x4c; // 'L'
const T_LONGLINK = 0x4b; // 'K'

/**
 * PAX keyword values. `undefined` = not given. In per-entry ('x') overrides, `null` means the
 * record was given with an empty value, which POSIX defines as "use the header field" (it
 * also cancels a global value); in the global state an empty value deletes the key.
 */
interface PaxValues {
  path?: string | null;
  linkpath?: string | null;
  size?: number | null;
  uid?: number | null;
  gid?: number | null;
  uname?: string | null;
  gname?: string | null;
  mtime?: number | null;
  atime?: number | null;
  xattrs?: Map<string, Buffer>;
}

type PaxKey = Exclude<keyof PaxValues, 'xattrs'>;

export class TarParser {
  private readonly sink: TarSink;
  private state = S_HEADER;
  private error: unknown = null;

  /** Stream offset of the first byte of the current write() chunk. */
  private base = 0;

  /** Header bytes collected so far when a header straddles write() calls. */
  private readonly hdr = Buffer.alloc(BLOCK);
  private hdrFill = 0;

  /** Bytes left in the current body (S_BODY), skip (S_SKIP) or meta body (S_META). */
  private remaining = 0;
  /** Padding to skip after the current body. */
  private pad = 0;

  /** Meta body being collected (S_META). */
  private metaType = 0;
  private metaBuf: Buffer | null = null;
  private metaFill = 0;
  private metaSize = 0;

  /** Per-entry extended data waiting for the next real entry. */
  private local: PaxValues | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  private pendingMeta = 0;
  /** Global PAX state ('g'), applied to every following entry. */
  private global: PaxValues | null = null;
  private globalSize = 0;

  private count = 0;

  constructor(sink: TarSink) {
    this.sink = sink;
  }

  /** Count of entries delivered to the sink. */
  get entries(): number {
    return this.count;
  }

  /** Feed the next bytes of the (decompressed) archive. Throws TarFormatError on malformed input. */
  write(chunk: Buffer): void {
    const state = this.state;
    if (state === S_DONE) {
      this.base += chunk.length;
      return;
    }
    if (state === S_FAILED) throw this.error;
    if (state === S_ENDED) throw new Error('tar parser: write after end');
    try {
      this.consume(chunk);
    } catch (err) {
      this.state = S_FAILED;
      this.error = err;
      throw err;
    }
    this.base += chunk.length;
  }

  /** Signal the end of input. Throws TarFormatError if the archive stops mid-entry or mid-header. */
  end(): void {
    const state = this.state;
    if (state === S_FAILED) throw this.error;
    if (state === S_ENDED) return;
    if (state === S_DONE) {
      this.state = S_ENDED;
      return;
    }
    if (state !== S_HEADER || this.hdrFill !== 0 || this.hasPendingMeta()) {
      const err = new TarFormatError('truncated tar archive');
      this.state = S_FAILED;
      this.error = err;
      throw err;
    }
    this.state = S_ENDED;
  }

  /** Extended headers seen that still wait for the entry they describe. */
  private hasPendingMeta(): boolean {
    return this.local !== null || this.longName !== null || this.longLink !== null;
  }

  private consume(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case S_HEADER: {
          if (this.hdrFill === 0 && len - pos >= BLOCK) {
            pos += BLOCK;
            this.header(chunk, pos - BLOCK, this.base + pos - BLOCK);
          } else {
            const n = Math.min(BLOCK - this.hdrFill, len - pos);
            chunk.copy(this.hdr, this.hdrFill, pos, pos + n);
            this.hdrFill += n;
            pos += n;
            if (this.hdrFill === BLOCK) {
              this.hdrFill = 0;
              this.header(this.hdr, 0, this.base + pos - BLOCK);
            }
          }
          break;
        }
        case S_BODY: {
          const avail = len - pos;
          const rem = this.remaining;
          if (avail >= rem) {
            const end = pos + rem;
            this.sink.data(pos === 0 && end === len ? chunk : chunk.subarray(pos, end));
            pos = end;
            this.remaining = 0;
            this.afterBody();
          } else {
            this.sink.data(pos === 0 ? chunk : chunk.subarray(pos));
            this.remaining = rem - avail;
            pos = len;
          }
          break;
        }
        case S_SKIP: {
          const n = Math.min(this.remaining, len - pos);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = S_HEADER;
          break;
        }
        case S_META: {
          const avail = len - pos;
          if (this.metaFill === 0 && avail >= this.metaSize) {
            // Whole meta body in this chunk: parse in place (values are copied out).
            pos += this.metaSize;
            this.metaDone(chunk, pos - this.metaSize, pos);
          } else {
            if (this.metaBuf === null) this.metaBuf = Buffer.allocUnsafe(this.metaSize);
            const n = Math.min(this.metaSize - this.metaFill, avail);
            chunk.copy(this.metaBuf, this.metaFill, pos, pos + n);
            this.metaFill += n;
            pos += n;
            if (this.metaFill === this.metaSize) {
              const buf = this.metaBuf;
              this.metaBuf = null;
              this.metaFill = 0;
              this.metaDone(buf, 0, buf.length);
            }
          }
          break;
        }
        default:
          // S_DONE: the end marker was seen inside this chunk; ignore the rest.
          return;
      }
    }
  }

  /** Body of a file fully delivered: close the entry, then skip its padding. */
  private afterBody(): void {
    this.sink.endEntry();
    this.skip(this.pad);
  }

  private skip(n: number): void {
    if (n === 0) {
      this.state = S_HEADER;
    } else {
      this.remaining = n;
      this.state = S_SKIP;
    }
  }

  /** Parse the 512-byte header at b[o..o+512). `at` is its stream offset, for messages. */
  private header(b: Buffer, o: number, at: number): void {
    // Checksum: the checksum field counts as eight spaces. GNU tar also accepts the sum of
    // the bytes taken as signed chars (some old tars wrote that), so compute both.
    let sum = 0;
    let high = 0;
    for (let i = o, e = o + BLOCK; i < e; i++) {
      const v = b[i]!;
      sum += v;
      high += v >> 7;
    }
    if (sum === 0) {
      // All-zero block: end of archive. Ignore everything after it.
      if (this.hasPendingMeta()) {
        throw new TarFormatError(`truncated tar archive: extended header not followed by an entry at offset ${at}`);
      }
      this.state = S_DONE;
      return;
    }
    let chkSum = 0;
    let chkHigh = 0;
    for (let i = o + 148, e = o + 156; i < e; i++) {
      const v = b[i]!;
      chkSum += v;
      chkHigh += v >> 7;
    }
    const unsigned = sum - chkSum + 8 * 0x20;
    const signed = unsigned - 256 * (high - chkHigh);
    const stored = parseOctalLenient(b, o + 148, 8);
    if (stored < 0 || (stored !== unsigned && stored !== signed)) {
      throw new TarFormatError(`invalid tar header checksum at offset ${at}`);
    }

    const flag = b[o + 156]!;
    let size = parseNumeric(b, o + 124, 12, 'size', at);
    if (size < 0) throw new TarFormatError(`invalid tar header: negative size at offset ${at}`);

    if (flag === T_PAX || flag === T_GLOBAL || flag === T_LONGNAME || flag === T_LONGLINK) {
      if (size > MAX_META_SIZE) {
        throw new TarFormatError(
          `tar extended header '${String.fromCharCode(flag)}' of ${size} bytes at offset ${at} exceeds the ${MAX_META_SIZE}-byte limit`,
        );
      }
      if (flag !== T_GLOBAL) {
        this.pendingMeta += size;
        if (this.pendingMeta > MAX_PENDING_META) {
          throw new TarFormatError(`tar extended headers before one entry exceed ${MAX_PENDING_META} bytes at offset ${at}`);
        }
      }
      this.metaType = flag;
      this.pad = padding(size);
      if (size === 0) {
        this.metaDone(Buffer.alloc(0), 0, 0);
      } else {
        this.metaSize = size;
        this.metaFill = 0;
        this.state = S_META;
      }
      return;
    }

    // A real entry. Format from the magic field.
    // POSIX ustar: "ustar\0" "00"; GNU: "ustar " " \0"; star: ustar magic + "tar\0" at 508.
    let fmt: 'v7' | 'ustar' | 'gnu' | 'star' = 'v7';
    if (b[o + 257] === 0x75 && b[o + 258] === 0x73 && b[o + 259] === 0x74 && b[o + 260] === 0x61 && b[o + 261] === 0x72) {
      if (b[o + 262] === 0) {
        fmt = b[o + 508] === 0x74 && b[o + 509] === 0x61 && b[o + 510] === 0x72 && b[o + 511] === 0 ? 'star' : 'ustar';
      } else if (b[o + 262] === 0x20 && b[o + 263] === 0x20 && b[o + 264] === 0) {
        fmt = 'gnu';
      }
    }

    let name = cstr(b, o, 100);
    if (fmt === 'ustar' || fmt === 'star') {
      const prefix = cstr(b, o + 345, fmt === 'star' ? 131 : 155);
      if (prefix !== '') name = prefix + '/' + name;
    }

    let type: TarEntryType;
    switch (flag) {
      case 0x30: // '0'
      case 0x00: // '\0' (v7)
      case 0x37: // '7' contiguous file
        type = 'file';
        break;
      case 0x31:
        type = 'hardlink';
        break;
      case 0x32:
        type = 'symlink';
        break;
      case 0x33:
        type = 'chardev';
        break;
      case 0x34:
        type = 'blockdev';
        break;
      case 0x35: // '5'
      case 0x44: // 'D' GNU dumpdir: a directory; its body (the listing) is skipped
        type = 'directory';
        break;
      case 0x36:
        type = 'fifo';
        break;
      default:
        throw new TarFormatError(`unsupported tar entry type ${describeType(flag)} for "${name}" at offset ${at}`);
    }

    const local = this.local;
    const global = this.global;
    const longName = this.longName;
    const longLink = this.longLink;
    this.local = null;
    this.longName = null;
    this.longLink = null;
    this.pendingMeta = 0;

    // Precedence for path and linkpath: per-entry PAX 'x' record, then GNU 'L'/'K' long
    // name, then global PAX 'g' record, then the header field. PAX wins over GNU when both
    // are present for one entry because PAX is the standard, is always UTF-8, and is what
    // Go's archive/tar (containerd, moby) honours; an 'L' record is entry-specific, so it
    // beats a global 'g' path.
    const path = pick(local, global, 'path', longName ?? name, longName) ?? '';
    const linkHeader = longLink ?? cstr(b, o + 157, 100);
    const linkpathAny = pick(local, global, 'linkpath', linkHeader, longLink) ?? '';

    if (type === 'file' && flag !== 0x37 && path.endsWith('/')) type = 'directory';

    const paxSize = pick(local, global, 'size', undefined, undefined);
    if (paxSize !== undefined && paxSize !== null) size = paxSize;

    const uidPax = pick(local, global, 'uid', undefined, undefined);
    const gidPax = pick(local, global, 'gid', undefined, undefined);
    const mtimePax = pick(local, global, 'mtime', undefined, undefined);
    const atimePax = pick(local, global, 'atime', undefined, undefined);
    const unamePax = pick(local, global, 'uname', undefined, undefined);
    const gnamePax = pick(local, global, 'gname', undefined, undefined);

    const hasUstarFields = fmt !== 'v7';
    const isDev = type === 'chardev' || type === 'blockdev';
    const h: TarHeader = {
      path,
      type,
      linkpath: type === 'hardlink' || type === 'symlink' ? linkpathAny : '',
      mode: parseNumeric(b, o + 100, 8, 'mode', at) & 0o7777,
      uid: uidPax ?? parseNumeric(b, o + 108, 8, 'uid', at),
      gid: gidPax ?? parseNumeric(b, o + 116, 8, 'gid', at),
      size: type === 'file' ? size : 0,
      mtime: mtimePax ?? parseNumeric(b, o + 136, 12, 'mtime', at),
      devmajor: isDev && hasUstarFields ? parseNumeric(b, o + 329, 8, 'devmajor', at) : 0,
      devminor: isDev && hasUstarFields ? parseNumeric(b, o + 337, 8, 'devminor', at) : 0,
      uname: unamePax ?? (hasUstarFields ? cstr(b, o + 265, 32) : ''),
      gname: gnamePax ?? (hasUstarFields ? cstr(b, o + 297, 32) : ''),
      xattrs: mergeXattrs(global?.xattrs, local?.xattrs),
    };
    if (atimePax !== undefined) {
      h.atime = atimePax;
    } else if (fmt === 'gnu') {
      // GNU incremental archives store atime at 345; zero/blank means absent.
      const a = parseOctalLenient(b, o + 345, 12);
      if (a > 0) h.atime = a;
    }

    this.count++;
    this.sink.entry(h);

    if (type === 'file') {
      if (size === 0) {
        this.sink.endEntry();
        this.state = S_HEADER;
      } else {
        this.remaining = size;
        this.pad = padding(size);
        this.state = S_BODY;
      }
    } else {
      this.sink.endEntry();
      // Header-only types carry no body (as in Go's archive/tar), except GNU dumpdir,
      // whose listing is skipped.
      this.skip(flag === 0x44 ? size + padding(size) : 0);
    }
  }

  /** A meta body is complete in b[s..e). */
  private metaDone(b: Buffer, s: number, e: number): void {
    const t = this.metaType;
    if (t === T_LONGNAME) {
      this.longName = cstr(b, s, e - s);
    } else if (t === T_LONGLINK) {
      this.longLink = cstr(b, s, e - s);
    } else if (t === T_PAX) {
      if (this.local === null) this.local = {};
      parsePax(b, s, e, this.local, false);
    } else {
      if (this.global === null) this.global = {};
      const delta = parsePax(b, s, e, this.global, true);
      this.globalSize += delta;
      if (this.globalSize > MAX_GLOBAL_SIZE) {
        throw new TarFormatError(`tar global extended headers exceed ${MAX_GLOBAL_SIZE} bytes`);
      }
    }
    this.skip(this.pad);
  }
}

function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/**
 * Value of a PAX key for an entry: the per-entry record if given (an empty per-entry value
 * means "use the header", i.e. `headerish`), else `mid` (a GNU long name) if given, else
 * the global record, else the header value.
 */
function pick<K extends PaxKey>(
  local: PaxValues | null,
  global: PaxValues | null,
  key: K,
  header: NonNullable<PaxValues[K]> | undefined,
  mid: NonNullable<PaxValues[K]> | null | undefined,
): NonNullable<PaxValues[K]> | undefined {
  if (local !== null) {
    const v = local[key];
    if (v !== undefined) return (v ?? header) as NonNullable<PaxValues[K]> | undefined;
  }
  if (mid !== null && mid !== undefined) return mid;
  if (global !== null) {
    const v = global[key];
    if (v !== undefined && v !== null) return v as NonNullable<PaxValues[K]>;
  }
  return header;
}

function mergeXattrs(g: Map<string, Buffer> | undefined, l: Map<string, Buffer> | undefined): Map<string, Buffer> {
  if (g === undefined || g.size === 0) return l === undefined ? new Map() : l;
  const m = new Map(g);
  if (l !== undefined) for (const [k, v] of l) m.set(k, v);
  return m;
}

/** NUL-terminated UTF-8 string in b[s..s+n). */
function cstr(b: Buffer, s: number, n: number): string {
  const lim = s + n;
  if (b[s] === 0) return '';
  let e = b.indexOf(0, s);
  if (e < 0 || e > lim) e = lim;
  return b.toString('utf8', s, e);
}

/**
 * Numeric header field: base-256 (high bit of the first byte set, GNU/star) or octal with
 * optional leading spaces/NULs, terminated by NUL or space. An empty field is 0.
 */
function parseNumeric(b: Buffer, s: number, n: number, field: string, at: number): number {
  const c0 = b[s]!;
  if (c0 & 0x80) {
    const inv = c0 & 0x40 ? 0xff : 0;
    let x = (c0 ^ inv) & 0x7f;
    for (let i = s + 1, e = s + n; i < e; i++) {
      x = x * 256 + (b[i]! ^ inv);
      if (x > Number.MAX_SAFE_INTEGER) {
        throw new TarFormatError(`tar header field ${field} out of range at offset ${at}`);
      }
    }
    return inv ? -x - 1 : x;
  }
  const v = parseOctalLenient(b, s, n);
  if (v < 0) throw new TarFormatError(`invalid octal number in tar header field ${field} at offset ${at}`);
  return v;
}

/** Octal field; -1 if malformed. */
function parseOctalLenient(b: Buffer, s: number, n: number): number {
  const e = s + n;
  let i = s;
  while (i < e && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  for (; i < e; i++) {
    const c = b[i]!;
    const d = c - 0x30;
    if (d >= 0 && d <= 7) {
      v = v * 8 + d;
    } else if (c === 0 || c === 0x20) {
      break;
    } else {
      return -1;
    }
  }
  return v;
}

function describeType(flag: number): string {
  const names: Record<string, string> = {
    S: 'GNU sparse file',
    V: 'GNU volume label',
    N: 'GNU long names file',
    M: 'GNU multi-volume continuation',
    X: 'Solaris extended header',
    A: 'Solaris ACL',
    E: 'Solaris extended attributes',
    I: 'inode metadata',
  };
  const ch = String.fromCharCode(flag);
  const printable = flag > 0x20 && flag < 0x7f;
  const shown = printable ? `'${ch}'` : `0x${flag.toString(16).padStart(2, '0')}`;
  const what = printable ? names[ch] : undefined;
  return what === undefined ? shown : `${shown} (${what})`;
}

const SCHILY_XATTR = 'SCHILY.xattr.';
const LIBARCHIVE_XATTR = 'LIBARCHIVE.xattr.';
const DECIMAL = /^[0-9]+$/;
const TIME = /^-?[0-9]+(\.[0-9]+)?$/;

/**
 * Parse PAX records "LEN key=value\n" from b[s..e) into `into`, as bytes: LEN counts the
 * whole record, the value may hold '=', newlines and any byte. Returns the number of
 * key+value bytes added (for the global size cap).
 */
function parsePax(b: Buffer, s: number, e: number, into: PaxValues, isGlobal: boolean): number {
  let added = 0;
  let p = s;
  while (p < e) {
    // Some writers pad the extended data with NULs: accept a NUL tail.
    if (b[p] === 0) {
      let q = p;
      while (q < e && b[q] === 0) q++;
      if (q === e) break;
      throw new TarFormatError('invalid PAX record: unexpected NUL');
    }
    let len = 0;
    let q = p;
    for (; q < e && q - p < 10; q++) {
      const d = b[q]! - 0x30;
      if (d < 0 || d > 9) break;
      len = len * 10 + d;
    }
    if (q === p || q >= e || b[q] !== 0x20 || len <= q - p + 1) {
      throw new TarFormatError('invalid PAX record: bad length');
    }
    const recEnd = p + len;
    if (recEnd > e || b[recEnd - 1] !== 0x0a) {
      throw new TarFormatError('invalid PAX record: length does not match record');
    }
    const keyStart = q + 1;
    let eq = b.indexOf(0x3d, keyStart);
    if (eq < 0 || eq >= recEnd - 1) throw new TarFormatError('invalid PAX record: missing "="');
    if (eq === keyStart) throw new TarFormatError('invalid PAX record: empty key');
    const key = b.toString('utf8', keyStart, eq);
    const vs = eq + 1;
    const ve = recEnd - 1;
    applyPax(into, key, b, vs, ve, isGlobal);
    added += eq - keyStart + (ve - vs);
    p = recEnd;
  }
  return added;
}

function applyPax(into: PaxValues, key: string, b: Buffer, vs: number, ve: number, isGlobal: boolean): void {
  const empty = vs === ve;
  // Empty value: in a global header it deletes the key, in a per-entry header it means
  // "use the header field" (POSIX). Xattrs are different: an empty value is an xattr with
  // an empty value (as in Go's archive/tar).
  const cleared = isGlobal ? undefined : null;
  switch (key) {
    case 'path':
    case 'linkpath':
    case 'uname':
    case 'gname':
      into[key] = empty ? cleared : b.toString('utf8', vs, ve);
      return;
    case 'size':
    case 'uid':
    case 'gid': {
      if (empty) {
        into[key] = cleared;
        return;
      }
      const text = b.toString('latin1', vs, ve);
      if (!DECIMAL.test(text)) throw new TarFormatError(`invalid PAX ${key} value "${text.slice(0, 40)}"`);
      const v = Number(text);
      if (!Number.isSafeInteger(v)) throw new TarFormatError(`PAX ${key} value out of range "${text.slice(0, 40)}"`);
      into[key] = v;
      return;
    }
    case 'mtime':
    case 'atime': {
      if (empty) {
        into[key] = cleared;
        return;
      }
      const text = b.toString('latin1', vs, ve);
      if (!TIME.test(text)) throw new TarFormatError(`invalid PAX ${key} value "${text.slice(0, 40)}"`);
      into[key] = Number(text);
      return;
    }
    default:
      break;
  }
  if (key.startsWith(SCHILY_XATTR)) {
    const name = key.slice(SCHILY_XATTR.length);
    if (name === '') throw new TarFormatError('invalid PAX record: empty xattr name');
    // Copy: b may be the caller's chunk.
    (into.xattrs ??= new Map()).set(name, Buffer.from(b.subarray(vs, ve)));
    return;
  }
  if (key.startsWith(LIBARCHIVE_XATTR)) {
    // libarchive writes the name URL-encoded and the value base64-encoded.
    const name = percentDecode(key.slice(LIBARCHIVE_XATTR.length));
    if (name === '') throw new TarFormatError('invalid PAX record: empty xattr name');
    const text = b.toString('latin1', vs, ve);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
      throw new TarFormatError(`invalid base64 in PAX record ${key.slice(0, 200)}`);
    }
    (into.xattrs ??= new Map()).set(name, Buffer.from(text, 'base64'));
    return;
  }
  if (key.startsWith('GNU.sparse.')) {
    throw new TarFormatError('unsupported tar entry: GNU sparse file (PAX GNU.sparse records)');
  }
  // Unknown keys (comment, ctime, charset, hdrcharset, SCHILY.* others...) are ignored.
}

function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x25 && i + 2 < bytes.length) {
      const hex = bytes.toString('latin1', i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.toString('utf8', 0, n);
}
