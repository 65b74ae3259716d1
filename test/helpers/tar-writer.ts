// Test-only minimal tar writer. Unlike node-tar it writes whatever it is told:
// absolute paths, '..' components, '.wh.' names, device nodes, raw xattr bytes.
// That is the point: it produces the hostile and unusual layers skiff's applier
// must survive.
import { gzipSync } from 'node:zlib';

export interface TarSpec {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';
  content?: Buffer | string;
  linkpath?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Buffer | string>;
  uname?: string;
  gname?: string;
  /** Extra PAX records, written after the generated ones (so they win for readers). */
  pax?: Record<string, string>;
}

const BLOCK = 512;

const TYPEFLAG: Record<NonNullable<TarSpec['type']>, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  dir: '5',
  fifo: '6',
};

const DEFAULT_MODE: Record<NonNullable<TarSpec['type']>, number> = {
  file: 0o644,
  hardlink: 0o644,
  symlink: 0o777,
  chardev: 0o644,
  blockdev: 0o644,
  dir: 0o755,
  fifo: 0o644,
};

export const DEFAULT_MTIME = 1700000000;

/** Largest value an octal field of `width` bytes holds (width-1 digits + NUL). */
function octalMax(width: number): number {
  return 8 ** (width - 1) - 1;
}

function writeOctal(h: Buffer, off: number, width: number, value: number): void {
  const v = Math.max(0, Math.floor(value));
  if (v > octalMax(width)) {
    // Too large for octal: GNU base-256 (high bit set, big-endian). A PAX
    // record carries the exact value as well (see makeTar).
    h[off] = 0x80;
    let n = BigInt(v);
    for (let i = off + width - 1; i > off; i--) {
      h[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    return;
  }
  const s = v.toString(8).padStart(width - 1, '0');
  h.write(s, off, width - 1, 'ascii');
  h[off + width - 1] = 0;
}

/** Copy raw bytes into a fixed-size field, truncating. */
function writeBytes(h: Buffer, off: number, width: number, data: Buffer): void {
  data.copy(h, off, 0, Math.min(width, data.length));
}

function isAscii(b: Buffer): boolean {
  for (const c of b) if (c > 0x7f) return false;
  return true;
}

/** One PAX record "LEN key=value\n"; LEN counts the whole record including its own digits. */
export function paxRecord(key: string, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const rest = Buffer.byteLength(` ${key}=`, 'utf8') + v.length + 1;
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), v, Buffer.from('\n')]);
}

interface HeaderFields {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

/**
 * Split a long name into ustar prefix/name when possible (prefix <= 155 bytes,
 * name <= 100, split at a '/'); otherwise truncate into name (a PAX record holds
 * the real path).
 */
function splitName(name: Buffer): { prefix: Buffer; name: Buffer } {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    const p = name.subarray(0, i);
    const n = name.subarray(i + 1);
    if (p.length <= 155 && n.length <= 100 && n.length > 0) return { prefix: p, name: n };
    if (name.length - i - 1 > 100) break;
  }
  return { prefix: Buffer.alloc(0), name: name.subarray(0, 100) };
}

function header(f: HeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(f.name);
  writeBytes(h, 0, 100, name);
  writeOctal(h, 100, 8, f.mode & 0o7777777);
  writeOctal(h, 108, 8, f.uid);
  writeOctal(h, 116, 8, f.gid);
  writeOctal(h, 124, 12, f.size);
  writeOctal(h, 136, 12, f.mtime);
  h.fill(0x20, 148, 156); // checksum computed with spaces
  h.write(f.typeflag, 156, 1, 'latin1');
  writeBytes(h, 157, 100, f.linkname);
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  writeBytes(h, 265, 32, Buffer.from(f.uname, 'utf8').subarray(0, 31));
  writeBytes(h, 297, 32, Buffer.from(f.gname, 'utf8').subarray(0, 31));
  writeOctal(h, 329, 8, f.devmajor);
  writeOctal(h, 337, 8, f.devminor);
  writeBytes(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

function pad(len: number): Buffer {
  const r = len % BLOCK;
  return r === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - r);
}

export function makeTar(entries: TarSpec[], opts: { trailer?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  entries.forEach((e, idx) => {
    const type = e.type ?? 'file';
    const content =
      e.content === undefined ? Buffer.alloc(0) : typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content;
    const pathBuf = Buffer.from(e.path, 'utf8');
    const linkBuf = Buffer.from(e.linkpath ?? '', 'utf8');
    const uid = e.uid ?? 0;
    const gid = e.gid ?? 0;
    const mtime = e.mtime ?? DEFAULT_MTIME;

    const records: Buffer[] = [];
    if (pathBuf.length > 100 || !isAscii(pathBuf)) records.push(paxRecord('path', pathBuf));
    if (linkBuf.length > 100 || !isAscii(linkBuf)) records.push(paxRecord('linkpath', linkBuf));
    if (uid > octalMax(8)) records.push(paxRecord('uid', String(uid)));
    if (gid > octalMax(8)) records.push(paxRecord('gid', String(gid)));
    if (content.length > octalMax(12)) records.push(paxRecord('size', String(content.length)));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) {
      records.push(paxRecord(`SCHILY.xattr.${k}`, typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
    }
    for (const [k, v] of Object.entries(e.pax ?? {})) records.push(paxRecord(k, v));

    if (records.length > 0) {
      const data = Buffer.concat(records);
      const base = pathBuf.toString('latin1').replace(/\/+$/, '').split('/').pop() ?? '';
      const paxName = Buffer.from(`PaxHeaders.${idx}/${base.replace(/[^\x20-\x7e]/g, '_')}`.slice(0, 99), 'latin1');
      out.push(
        header({
          name: paxName,
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: data.length,
          mtime,
          typeflag: 'x',
          linkname: Buffer.alloc(0),
          uname: '',
          gname: '',
          devmajor: 0,
          devminor: 0,
        }),
        data,
        pad(data.length),
      );
    }

    out.push(
      header({
        name: pathBuf,
        mode: e.mode ?? DEFAULT_MODE[type],
        uid,
        gid,
        size: content.length,
        mtime,
        typeflag: TYPEFLAG[type],
        linkname: linkBuf,
        uname: e.uname ?? '',
        gname: e.gname ?? '',
        devmajor: e.devmajor ?? 0,
        devminor: e.devminor ?? 0,
      }),
    );
    if (content.length > 0) out.push(content, pad(content.length));
  });
  if (opts.trailer ?? true) out.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(out);
}

export function gzip(buf: Buffer): Buffer {
  return gzipSync(buf);
}

/** The header of a regular file of `size` bytes, for archives streamed rather than built in memory. */
export function fileHeader(path: string, size: number): Buffer {
  return header({ name: Buffer.from(path), mode: 0o644, uid: 0, gid: 0, size, mtime: DEFAULT_MTIME, typeflag: '0', linkname: Buffer.alloc(0), uname: '', gname: '', devmajor: 0, devminor: 0 });
}
