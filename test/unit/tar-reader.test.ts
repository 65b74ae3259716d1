// Table tests for the streaming tar parser (src/oci/tar/reader.ts).
//
// Archives are built two ways: with a small tar writer local to this file (so every header
// field, format variant and malformation can be crafted), and with GNU tar from a real tree
// (so the parser is checked against what real tools write).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { TarFormatError, TarParser, type TarHeader, type TarSink } from '../../src/oci/tar/reader.js';

// ---------------------------------------------------------------------------------------
// A tiny tar writer for crafting archives.

type Format = 'ustar' | 'gnu' | 'v7' | 'star';
type NumField = 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devmajor' | 'devminor';

interface HeaderSpec {
  name?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number | bigint;
  mtime?: number;
  /** Typeflag character, e.g. '0', '\0', 'x'. */
  type?: string;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  prefix?: string;
  format?: Format;
  /** Fields written in GNU base-256 rather than octal. */
  base256?: NumField[];
  /** Octal style: 'std' "0000644\0"; 'spaces' "   644 \0" (old tars). */
  octal?: 'std' | 'spaces';
  /** Checksum to write: 'unsigned' (default), 'signed' (old Sun tar), or a fixed number. */
  checksum?: 'unsigned' | 'signed' | number;
}

const FIELDS: Record<NumField, [number, number]> = {
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  devmajor: [329, 8],
  devminor: [337, 8],
};

function putString(b: Buffer, off: number, len: number, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  assert.ok(bytes.length <= len, `test writer: "${s}" does not fit in ${len} bytes`);
  bytes.copy(b, off);
}

function putOctal(b: Buffer, off: number, len: number, v: number, style: 'std' | 'spaces'): void {
  const digits = v.toString(8);
  if (style === 'std') {
    assert.ok(digits.length <= len - 1, 'test writer: octal overflow');
    b.write(digits.padStart(len - 1, '0') + '\0', off, 'latin1');
  } else {
    assert.ok(digits.length <= len - 2, 'test writer: octal overflow');
    b.write(digits.padStart(len - 2, ' ') + ' \0', off, 'latin1');
  }
}

function putBase256(b: Buffer, off: number, len: number, v: number | bigint): void {
  let x = BigInt(v);
  const negative = x < 0n;
  if (negative) x = (1n << BigInt(8 * len)) + x; // two's complement
  for (let i = len - 1; i >= 0; i--) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] = negative ? b[off]! | 0xc0 : (b[off]! & 0x7f) | 0x80;
}

function header(spec: HeaderSpec): Buffer {
  const b = Buffer.alloc(512);
  const format = spec.format ?? 'ustar';
  const style = spec.octal ?? 'std';
  putString(b, 0, 100, spec.name ?? 'file');
  const nums: Record<NumField, number | bigint> = {
    mode: spec.mode ?? 0o644,
    uid: spec.uid ?? 1000,
    gid: spec.gid ?? 1000,
    size: spec.size ?? 0,
    mtime: spec.mtime ?? 1_600_000_000,
    devmajor: spec.devmajor ?? 0,
    devminor: spec.devminor ?? 0,
  };
  for (const f of Object.keys(FIELDS) as NumField[]) {
    if (format === 'v7' && (f === 'devmajor' || f === 'devminor')) continue;
    const [off, len] = FIELDS[f];
    if (spec.base256?.includes(f)) putBase256(b, off, len, nums[f]);
    else putOctal(b, off, len, Number(nums[f]), style);
  }
  b.write(spec.type ?? '0', 156, 'latin1');
  putString(b, 157, 100, spec.linkname ?? '');
  if (format === 'ustar' || format === 'star') b.write('ustar\u000000', 257, 'latin1');
  if (format === 'gnu') b.write('ustar  \u0000', 257, 'latin1');
  if (format !== 'v7') {
    putString(b, 265, 32, spec.uname ?? 'user');
    putString(b, 297, 32, spec.gname ?? 'group');
  }
  if (spec.prefix !== undefined) putString(b, 345, format === 'star' ? 131 : 155, spec.prefix);
  if (format === 'star') b.write('tar\u0000', 508, 'latin1');

  b.fill(0x20, 148, 156);
  let unsigned = 0;
  let signed = 0;
  for (const v of b) {
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  const ck = spec.checksum ?? 'unsigned';
  const value = ck === 'unsigned' ? unsigned : ck === 'signed' ? signed : ck;
  b.write(value.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

/** A header followed by its body and padding. */
function entry(spec: HeaderSpec, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const size = spec.size ?? data.length;
  return Buffer.concat([header({ ...spec, size }), data, pad(data.length)]);
}

/** One PAX record "LEN key=value\n", LEN counting the whole record. */
function paxRecord(key: string, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const rest = Buffer.byteLength(key, 'utf8') + 1 + v.length + 1; // "key=" value "\n"
  let len = rest + 2;
  while (String(len).length + 1 + rest !== len) len = String(len).length + 1 + rest;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), v, Buffer.from('\n')]);
}

function pax(records: Array<[string, Buffer | string]>, type: 'x' | 'g' = 'x', name = 'PaxHeaders/x'): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  return entry({ name, type, mode: 0o644, uid: 0, gid: 0 }, body);
}

function gnuLong(type: 'L' | 'K', value: string): Buffer {
  return entry({ name: '././@LongLink', type, format: 'gnu', mode: 0o644, uid: 0, gid: 0 }, Buffer.from(value + '\0', 'utf8'));
}

const EOF = Buffer.alloc(1024);

function tar(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------
// A sink that records entries and checks the call protocol.

interface Got {
  h: TarHeader;
  data: Buffer;
}

class Collector implements TarSink {
  readonly got: Got[] = [];
  private open: { h: TarHeader; parts: Buffer[]; n: number } | null = null;

  entry(h: TarHeader): void {
    assert.equal(this.open, null, 'entry() while the previous entry is open');
    this.open = { h, parts: [], n: 0 };
  }

  data(chunk: Buffer): void {
    assert.ok(this.open, 'data() outside an entry');
    assert.equal(this.open.h.type, 'file', 'data() for a non-file entry');
    assert.ok(chunk.length > 0, 'empty data() chunk');
    this.open.parts.push(Buffer.from(chunk)); // copy: the chunk may be reused by the caller
    this.open.n += chunk.length;
  }

  endEntry(): void {
    assert.ok(this.open, 'endEntry() outside an entry');
    assert.equal(this.open.n, this.open.h.size, 'body length differs from header size');
    this.got.push({ h: this.open.h, data: Buffer.concat(this.open.parts) });
    this.open = null;
  }

  get isOpen(): boolean {
    return this.open !== null;
  }
}

/**
 * Feed `buf` through a fresh parser in chunks of `chunk` bytes (or all at once). Each chunk
 * is copied into one scratch buffer that is overwritten after every write(), which proves
 * the parser keeps no reference to input it was given.
 */
function parse(buf: Buffer, chunk: number = buf.length): Got[] {
  const c = new Collector();
  const p = new TarParser(c);
  feed(p, buf, chunk);
  p.end();
  assert.equal(c.isOpen, false, 'entry left open at end()');
  assert.equal(p.entries, c.got.length);
  return c.got;
}

function feed(p: TarParser, buf: Buffer, chunk: number): void {
  const size = Math.max(1, Math.min(chunk, buf.length));
  const scratch = Buffer.alloc(size);
  for (let off = 0; off < buf.length; off += size) {
    const n = Math.min(size, buf.length - off);
    buf.copy(scratch, 0, off, off + n);
    p.write(scratch.subarray(0, n));
    scratch.fill(0xa5, 0, n);
  }
}

function parseSizes(buf: Buffer, sizes: number[]): Got[] {
  const c = new Collector();
  const p = new TarParser(c);
  let off = 0;
  for (let i = 0; off < buf.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, buf.length - off);
    p.write(Buffer.from(buf.subarray(off, off + n)));
    off += n;
  }
  p.end();
  return c.got;
}

/** Error thrown while parsing `buf` fed in chunks of `chunk` bytes, including end(). */
function parseError(buf: Buffer, chunk: number = buf.length): unknown {
  try {
    parse(buf, chunk);
  } catch (err) {
    return err;
  }
  return assert.fail('expected a TarFormatError');
}

function assertTarError(buf: Buffer, pattern: RegExp, chunks: number[] = [buf.length]): void {
  for (const chunk of chunks) {
    const err = parseError(buf, chunk);
    assert.ok(err instanceof TarFormatError, `expected TarFormatError, got ${String(err)} (chunk ${chunk})`);
    assert.match(err.message, pattern, `chunk ${chunk}`);
  }
}

/** The interesting header fields as a plain object. */
function summary(g: Got): Record<string, unknown> {
  const { h } = g;
  return {
    path: h.path,
    type: h.type,
    linkpath: h.linkpath,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime,
    data: g.data.toString('utf8'),
  };
}

function sweep(buf: Buffer, from: number, to: number): void {
  const expected = parse(buf);
  for (let chunk = from; chunk <= to; chunk++) {
    assert.deepEqual(parse(buf, chunk), expected, `chunk size ${chunk}`);
  }
}

// ---------------------------------------------------------------------------------------
// Crafted archives.

test('ustar: every entry type with its fields', () => {
  const buf = tar(
    entry({ name: 'etc/hello.txt', mode: 0o100644, uid: 0, gid: 42, mtime: 1_700_000_000, uname: 'root', gname: 'wheel' }, 'hello, world\n'),
    entry({ name: 'etc/empty', mode: 0o600 }),
    entry({ name: 'etc/', type: '5', mode: 0o40755 }),
    entry({ name: 'bin/sh', type: '2', linkname: '/bin/busybox', mode: 0o777 }),
    entry({ name: 'bin/ls', type: '1', linkname: 'bin/busybox', mode: 0o755 }),
    entry({ name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 }),
    entry({ name: 'dev/sda', type: '4', devmajor: 8, devminor: 0, mode: 0o660 }),
    entry({ name: 'run/fifo', type: '6', mode: 0o644 }),
    entry({ name: 'usr/bin/sudo', mode: 0o104755 }, 'setuid'),
    entry({ name: 'tmp/', type: '5', mode: 0o41777 }),
    entry({ name: 'contig', type: '7' }, 'contiguous file'),
    entry({ name: 'nul-type', type: '\0' }, 'old regular'),
    EOF,
  );
  const got = parse(buf);
  assert.equal(got.length, 12);
  const [hello, empty, dir, sym, hard, chr, blk, fifo, sudo, tmp, contig, nulType] = got;
  assert.deepEqual(hello!.h, {
    path: 'etc/hello.txt',
    type: 'file',
    linkpath: '',
    mode: 0o644,
    uid: 0,
    gid: 42,
    size: 13,
    mtime: 1_700_000_000,
    devmajor: 0,
    devminor: 0,
    uname: 'root',
    gname: 'wheel',
    xattrs: new Map(),
  });
  assert.equal(hello!.data.toString(), 'hello, world\n');
  assert.deepEqual(summary(empty!), { path: 'etc/empty', type: 'file', linkpath: '', mode: 0o600, uid: 1000, gid: 1000, size: 0, mtime: 1_600_000_000, data: '' });
  assert.equal(dir!.h.type, 'directory');
  assert.equal(dir!.h.path, 'etc/');
  assert.equal(dir!.h.mode, 0o755);
  assert.deepEqual([sym!.h.type, sym!.h.linkpath, sym!.h.size], ['symlink', '/bin/busybox', 0]);
  assert.deepEqual([hard!.h.type, hard!.h.linkpath, hard!.h.size], ['hardlink', 'bin/busybox', 0]);
  assert.deepEqual([chr!.h.type, chr!.h.devmajor, chr!.h.devminor, chr!.h.linkpath], ['chardev', 1, 3, '']);
  assert.deepEqual([blk!.h.type, blk!.h.devmajor, blk!.h.devminor], ['blockdev', 8, 0]);
  assert.equal(fifo!.h.type, 'fifo');
  assert.equal(sudo!.h.mode, 0o4755);
  assert.equal(sudo!.data.toString(), 'setuid');
  assert.equal(tmp!.h.mode, 0o1777);
  assert.deepEqual([contig!.h.type, contig!.data.toString()], ['file', 'contiguous file']);
  assert.deepEqual([nulType!.h.type, nulType!.data.toString()], ['file', 'old regular']);
});

test('file bodies of sizes around the block size', () => {
  const sizes = [0, 1, 2, 100, 511, 512, 513, 1023, 1024, 1025, 4096, 10_000];
  const bodies = sizes.map((n, i) => Buffer.from(Array.from({ length: n }, (_, j) => (j * 31 + i) & 0xff)));
  const buf = tar(...bodies.map((b, i) => entry({ name: `f${i}` }, b)), EOF);
  const got = parse(buf);
  assert.deepEqual(
    got.map((g) => g.data),
    bodies,
  );
  assert.deepEqual(
    got.map((g) => g.h.size),
    sizes,
  );
});

test('header-only types skip no body even when their size field is non-zero (as Go archive/tar)', () => {
  const buf = tar(
    header({ name: 'link', type: '1', linkname: 'target', size: 1234 }),
    header({ name: 'dir/', type: '5', size: 99 }),
    entry({ name: 'after' }, 'ok'),
    EOF,
  );
  const got = parse(buf);
  assert.deepEqual(
    got.map((g) => [g.h.path, g.h.type, g.h.size, g.data.toString()]),
    [
      ['link', 'hardlink', 0, ''],
      ['dir/', 'directory', 0, ''],
      ['after', 'file', 2, 'ok'],
    ],
  );
});

test('v7: no magic, no uname/gname, trailing slash means directory', () => {
  const buf = tar(
    entry({ format: 'v7', name: 'olddir/', type: '\0', mode: 0o755 }),
    entry({ format: 'v7', name: 'olddir2/', type: '0', mode: 0o755 }),
    entry({ format: 'v7', name: 'olddir/file', type: '\0' }, 'v7 body'),
    entry({ format: 'v7', name: 'olddir/link', type: '1', linkname: 'olddir/file' }),
    EOF,
  );
  const got = parse(buf);
  assert.deepEqual(
    got.map((g) => [g.h.path, g.h.type, g.h.uname, g.h.gname, g.data.toString(), g.h.linkpath]),
    [
      ['olddir/', 'directory', '', '', '', ''],
      ['olddir2/', 'directory', '', '', '', ''],
      ['olddir/file', 'file', '', '', 'v7 body', ''],
      ['olddir/link', 'hardlink', '', '', '', 'olddir/file'],
    ],
  );
});

test('ustar prefix field is joined as prefix/name; star uses a 131-byte prefix', () => {
  const prefix = 'a'.repeat(60) + '/' + 'b'.repeat(60);
  const buf = tar(
    entry({ name: 'c'.repeat(99), prefix }, 'x'),
    entry({ name: 'short', prefix: 'usr/lib' }, 'y'),
    entry({ name: 'nopref' }, 'z'),
    entry({ name: 'starname', prefix: 's'.repeat(131), format: 'star' }, 'w'),
    EOF,
  );
  assert.deepEqual(
    parse(buf).map((g) => g.h.path),
    [prefix + '/' + 'c'.repeat(99), 'usr/lib/short', 'nopref', 's'.repeat(131) + '/starname'],
  );
});

test('GNU prefix area is not a prefix (GNU format has none)', () => {
  // GNU headers keep atime/ctime where ustar keeps the prefix: never join them.
  const h = header({ name: 'gnufile', format: 'gnu', size: 0 });
  const buf = tar(h, EOF);
  assert.equal(parse(buf)[0]!.h.path, 'gnufile');
});

test('names fill the whole 100-byte field without a NUL', () => {
  const name = 'n'.repeat(100);
  const link = 'l'.repeat(100);
  const buf = tar(entry({ name, type: '2', linkname: link, uname: 'u'.repeat(32), gname: 'g'.repeat(32) }), EOF);
  const [g] = parse(buf);
  assert.deepEqual([g!.h.path, g!.h.linkpath, g!.h.uname, g!.h.gname], [name, link, 'u'.repeat(32), 'g'.repeat(32)]);
});

test('UTF-8 names in header fields', () => {
  const buf = tar(entry({ name: 'données/日本語/🙂.txt', uname: 'josé' }, 'u'), EOF);
  const [g] = parse(buf);
  assert.equal(g!.h.path, 'données/日本語/🙂.txt');
  assert.equal(g!.h.uname, 'josé');
});

test('GNU long name (L) and long link name (K)', () => {
  const longName = 'dir/' + 'x'.repeat(150) + '/' + 'ÿ'.repeat(80) + '/file';
  const longLink = '/' + 'target/'.repeat(40) + 'end';
  const buf = tar(
    gnuLong('L', longName),
    entry({ name: longName.slice(0, 99), format: 'gnu' }, 'long body'),
    gnuLong('L', longName + '-link'),
    gnuLong('K', longLink),
    entry({ name: 'truncated', type: '2', linkname: longLink.slice(0, 99), format: 'gnu' }),
    gnuLong('K', longLink),
    entry({ name: 'hard', type: '1', linkname: 'short', format: 'gnu' }),
    entry({ name: 'plain', format: 'gnu' }, 'p'),
    EOF,
  );
  const got = parse(buf);
  assert.deepEqual(
    got.map((g) => [g.h.path, g.h.type, g.h.linkpath, g.data.toString()]),
    [
      [longName, 'file', '', 'long body'],
      [longName + '-link', 'symlink', longLink, ''],
      ['hard', 'hardlink', longLink, ''],
      ['plain', 'file', '', 'p'], // long names apply to one entry only
    ],
  );
});

test('PAX per-entry records override header fields', () => {
  const longPath = 'p/'.repeat(200) + 'é.bin';
  const buf = tar(
    pax([
      ['path', longPath],
      ['uid', '3000000'],
      ['gid', '4000000'],
      ['uname', 'ünïcode'],
      ['gname', 'grp'],
      ['mtime', '1577836800.5'],
      ['atime', '1577836801.123456789'],
      ['comment', 'ignored = unknown key'],
      ['ctime', '1'],
      ['SCHILY.dev', '2049'],
      ['hdrcharset', 'ISO-IR 10646 2000 UTF-8'],
    ]),
    entry({ name: 'short', uid: 1, gid: 2, uname: 'a', gname: 'b' }, 'data'),
    pax([['linkpath', 'l/'.repeat(100) + 'target']]),
    entry({ name: 'sym', type: '2', linkname: 'short' }),
    entry({ name: 'after', uid: 5 }, 'z'),
    EOF,
  );
  const got = parse(buf);
  assert.equal(got.length, 3);
  const [a, s, z] = got;
  assert.equal(a!.h.path, longPath);
  assert.equal(a!.h.uid, 3_000_000);
  assert.equal(a!.h.gid, 4_000_000);
  assert.equal(a!.h.uname, 'ünïcode');
  assert.equal(a!.h.gname, 'grp');
  assert.equal(a!.h.mtime, 1577836800.5);
  assert.equal(a!.h.atime, 1577836801.123456789);
  assert.equal(a!.data.toString(), 'data');
  assert.equal(s!.h.linkpath, 'l/'.repeat(100) + 'target');
  assert.equal(s!.h.path, 'sym');
  // Per-entry records apply to the next entry only.
  assert.deepEqual([z!.h.path, z!.h.uid, z!.h.atime, z!.h.uname], ['after', 5, undefined, 'user']);
});

test('PAX size overrides the header size', () => {
  const body = Buffer.alloc(3000, 0x41);
  const buf = tar(pax([['size', '3000']]), header({ name: 'big', size: 0 }), body, pad(3000), entry({ name: 'next' }, 'n'), EOF);
  const got = parse(buf);
  assert.deepEqual(
    got.map((g) => [g.h.path, g.h.size, g.data.length]),
    [
      ['big', 3000, 3000],
      ['next', 1, 1],
    ],
  );
});

test('PAX negative and fractional times', () => {
  const buf = tar(pax([['mtime', '-1.25']]), entry({ name: 'old' }), EOF);
  assert.equal(parse(buf)[0]!.h.mtime, -1.25);
});

test('PAX path wins over a GNU long name for the same entry; L wins over a global path', () => {
  const buf = tar(
    gnuLong('L', 'gnu-long-name'),
    pax([['path', 'pax-path']]),
    entry({ name: 'hdr' }),
    pax([['path', 'pax-path-2']]),
    gnuLong('L', 'gnu-long-name-2'),
    entry({ name: 'hdr' }),
    pax([['path', 'global-path'], ['linkpath', 'global-link']], 'g'),
    gnuLong('L', 'gnu-beats-global'),
    gnuLong('K', 'gnu-link-beats-global'),
    entry({ name: 'hdr', type: '2', linkname: 'x' }),
    EOF,
  );
  assert.deepEqual(
    parse(buf).map((g) => [g.h.path, g.h.linkpath]),
    [
      ['pax-path', ''],
      ['pax-path-2', ''],
      ['gnu-beats-global', 'gnu-link-beats-global'],
    ],
  );
});

test('PAX global headers apply to all following entries; per-entry records override them', () => {
  const buf = tar(
    entry({ name: 'before', uid: 7 }),
    pax([['uid', '100'], ['uname', 'gl'], ['mtime', '5'], ['SCHILY.xattr.user.g', 'global']], 'g'),
    entry({ name: 'one', uid: 7 }),
    pax([['uid', '200'], ['SCHILY.xattr.user.l', 'local']]),
    entry({ name: 'two', uid: 7 }),
    pax([['SCHILY.xattr.user.g', 'override']]),
    entry({ name: 'three', uid: 7 }),
    pax([['uid', '300'], ['uname', '']], 'g'), // later global: override uid, delete uname
    entry({ name: 'four', uid: 7, uname: 'hdr' }),
    pax([['uid', '']]), // empty per-entry value: use the header field, not the global
    entry({ name: 'five', uid: 7 }),
    EOF,
  );
  const got = parse(buf);
  const rows = got.map((g) => [g.h.path, g.h.uid, g.h.uname, g.h.mtime, Object.fromEntries([...g.h.xattrs].map(([k, v]) => [k, v.toString()]))]);
  assert.deepEqual(rows, [
    ['before', 7, 'user', 1_600_000_000, {}],
    ['one', 100, 'gl', 5, { 'user.g': 'global' }],
    ['two', 200, 'gl', 5, { 'user.g': 'global', 'user.l': 'local' }],
    ['three', 100, 'gl', 5, { 'user.g': 'override' }],
    ['four', 300, 'hdr', 5, { 'user.g': 'global' }],
    ['five', 7, 'user', 5, { 'user.g': 'global' }],
  ]);
  // Entries do not share one xattr map.
  assert.notEqual(got[1]!.h.xattrs, got[4]!.h.xattrs);
});

test('a global header alone (no entries) is a valid archive', () => {
  assert.deepEqual(parse(tar(pax([['comment', 'x']], 'g'), EOF)), []);
  assert.deepEqual(parse(tar(pax([['comment', 'x']], 'g'))), []);
});

test('binary xattr values are kept byte for byte', () => {
  const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x0a, 0x3d, 0x00, 0xff, 0xfe, 0x0a, 0x3d, 0x3d, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const weird = Buffer.from('a=b\nc=d\n\n=', 'latin1');
  const invalidUtf8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]);
  const buf = tar(
    pax([
      ['SCHILY.xattr.security.capability', capability],
      ['SCHILY.xattr.user.weird', weird],
      ['SCHILY.xattr.user.utf8', invalidUtf8],
      ['SCHILY.xattr.user.empty', Buffer.alloc(0)],
      ['SCHILY.xattr.user.名前', 'värde'],
      ['SCHILY.xattr.trusted.overlay.opaque', 'y'],
    ]),
    entry({ name: 'usr/bin/ping', mode: 0o755 }, 'ELF'),
    entry({ name: 'no-xattrs' }),
    EOF,
  );
  const [ping, plain] = parse(buf);
  assert.deepEqual(
    ping!.h.xattrs,
    new Map([
      ['security.capability', capability],
      ['user.weird', weird],
      ['user.utf8', invalidUtf8],
      ['user.empty', Buffer.alloc(0)],
      ['user.名前', Buffer.from('värde')],
      ['trusted.overlay.opaque', Buffer.from('y')],
    ]),
  );
  assert.ok(ping!.h.xattrs.get('security.capability')!.equals(capability));
  assert.equal(plain!.h.xattrs.size, 0);
});

test('LIBARCHIVE.xattr values are base64 and names URL-encoded', () => {
  const value = Buffer.from([0x00, 0x0a, 0x3d, 0xff, 0x01]);
  const buf = tar(
    pax([
      ['LIBARCHIVE.xattr.security.capability', value.toString('base64')],
      ['LIBARCHIVE.xattr.user.with%3Dequals%25', Buffer.from('hi').toString('base64')],
      ['LIBARCHIVE.xattr.user.empty', ''],
    ]),
    entry({ name: 'f' }),
    EOF,
  );
  assert.deepEqual(
    parse(buf)[0]!.h.xattrs,
    new Map([
      ['security.capability', value],
      ['user.with=equals%', Buffer.from('hi')],
      ['user.empty', Buffer.alloc(0)],
    ]),
  );
  assertTarError(tar(pax([['LIBARCHIVE.xattr.user.x', 'not base64!']]), entry({ name: 'f' }), EOF), /invalid base64/);
});

test('PAX records with multi-digit lengths and values containing "=" and newlines', () => {
  const value = 'v='.repeat(600) + '\n'; // record length has 4 digits
  const buf = tar(pax([['path', 'a=b\nc'], ['SCHILY.xattr.user.long', value]]), entry({ name: 'x' }), EOF);
  const [g] = parse(buf);
  assert.equal(g!.h.path, 'a=b\nc');
  assert.equal(g!.h.xattrs.get('user.long')!.toString(), value);
});

test('base-256 numeric fields (GNU) for size, uid, gid and negative mtime', () => {
  const body = Buffer.from('base256 body');
  const buf = tar(
    header({ name: 'b256', format: 'gnu', size: body.length, uid: 3_000_000_000, gid: 2 ** 40, mtime: -86400, base256: ['size', 'uid', 'gid', 'mtime'] }),
    body,
    pad(body.length),
    EOF,
  );
  const [g] = parse(buf);
  assert.deepEqual([g!.h.size, g!.h.uid, g!.h.gid, g!.h.mtime, g!.data.toString()], [body.length, 3_000_000_000, 2 ** 40, -86400, 'base256 body']);
});

test('base-256 size above 8 GiB streams without buffering', () => {
  const size = 2 ** 33 + 5; // larger than the 11-digit octal maximum
  let n = 0;
  let entries = 0;
  let ended = 0;
  const p = new TarParser({
    entry: (h) => {
      entries++;
      assert.equal(h.size, entries === 1 ? size : 1);
    },
    data: (c) => {
      n += c.length;
    },
    endEntry: () => {
      ended++;
    },
  });
  p.write(header({ name: 'huge', format: 'gnu', size, base256: ['size'] }));
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  let left = size;
  while (left > 0) {
    const k = Math.min(left, zeros.length);
    p.write(k === zeros.length ? zeros : zeros.subarray(0, k));
    left -= k;
  }
  p.write(Buffer.alloc(512 - 5)); // padding
  p.write(entry({ name: 'after' }, 'a'));
  p.end();
  assert.deepEqual([n, entries, ended, p.entries], [size + 1, 2, 2, 2]); // + the 1-byte "after"
});

test('PAX size above 8 GiB', () => {
  let got: TarHeader | undefined;
  const p = new TarParser({ entry: (h) => (got = h), data: () => {}, endEntry: () => {} });
  p.write(pax([['size', String(2 ** 34)]]));
  p.write(header({ name: 'huge', size: 0 }));
  assert.equal(got!.size, 2 ** 34);
  assert.throws(() => p.end(), /truncated tar archive/);
});

test('octal fields with leading spaces and trailing space/NUL', () => {
  const buf = tar(entry({ name: 'spaces', octal: 'spaces', mode: 0o755, uid: 12, gid: 34, mtime: 1234567 }, 'sp'), EOF);
  const [g] = parse(buf);
  assert.deepEqual([g!.h.mode, g!.h.uid, g!.h.gid, g!.h.mtime, g!.data.toString()], [0o755, 12, 34, 1234567, 'sp']);
});

test('empty numeric fields read as zero', () => {
  const h = header({ name: 'blank', uid: 0 });
  h.fill(0, 108, 116); // uid all NUL
  h.fill(0x20, 116, 124); // gid all spaces
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const v of h) sum += v;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  const [g] = parse(tar(h, EOF));
  assert.deepEqual([g!.h.uid, g!.h.gid], [0, 0]);
});

test('signed checksums (old tars) are accepted', () => {
  const buf = tar(entry({ name: 'ñandú/ÿ', checksum: 'signed' }, 'signed'), EOF);
  const [g] = parse(buf);
  assert.equal(g!.h.path, 'ñandú/ÿ');
});

test('bad checksum is rejected with the header offset', () => {
  const buf = tar(entry({ name: 'ok' }, 'x'), entry({ name: 'bad', checksum: 12345 }, 'y'), EOF);
  assertTarError(buf, /^invalid tar header checksum at offset 1024$/, [buf.length, 1, 7, 512, 513, 1000]);
  // A corrupted byte anywhere in a header.
  const first = tar(entry({ name: 'ok' }, 'x'), EOF);
  first[300] ^= 0x01;
  assertTarError(first, /^invalid tar header checksum at offset 0$/);
  // Random data.
  const junk = Buffer.alloc(2048);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  assertTarError(junk, /invalid tar header checksum at offset 0/);
});

test('invalid numeric fields are rejected', () => {
  const h = header({ name: 'badsize', size: 0 });
  h.write('12x45678901\0', 124, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const v of h) sum += v;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  assertTarError(tar(h, EOF), /invalid octal number in tar header field size/);
});

test('truncated archives: mid-header, mid-body, mid-padding, dangling extended header', () => {
  const full = tar(entry({ name: 'a' }, 'hello'), entry({ name: 'b' }, Buffer.alloc(1000, 0x62)));
  const cases: Array<[string, Buffer]> = [
    ['mid first header', full.subarray(0, 100)],
    ['one byte', full.subarray(0, 1)],
    ['mid second header', full.subarray(0, 1024 + 511)],
    ['mid first body', full.subarray(0, 512 + 3)],
    ['mid first padding', full.subarray(0, 512 + 5 + 10)],
    ['mid last body', full.subarray(0, full.length - 600)],
    ['last body without padding', full.subarray(0, full.length - 24)],
    ['dangling PAX header', tar(entry({ name: 'a' }), pax([['path', 'x']]))],
    ['dangling GNU long name', tar(gnuLong('L', 'long'))],
    ['mid PAX body', pax([['path', 'x'.repeat(2000)]]).subarray(0, 1500)],
  ];
  for (const [what, buf] of cases) {
    for (const chunk of [buf.length, 1, 100, 512]) {
      const err = parseError(buf, chunk);
      assert.ok(err instanceof TarFormatError, `${what}: ${String(err)}`);
      assert.match(err.message, /truncated tar archive/, what);
    }
  }
  // An extended header directly followed by the end marker.
  assertTarError(tar(pax([['path', 'x']]), EOF), /truncated tar archive: extended header not followed by an entry/);
});

test('missing end marker is accepted at an entry boundary', () => {
  const buf = tar(entry({ name: 'a' }, 'hello'), entry({ name: 'e' }), entry({ name: 'd/', type: '5' }));
  for (const chunk of [buf.length, 1, 512, 517]) {
    assert.deepEqual(
      parse(buf, chunk).map((g) => g.h.path),
      ['a', 'e', 'd/'],
    );
  }
  assert.deepEqual(parse(Buffer.alloc(0)), []);
});

test('trailing bytes after the end marker are ignored', () => {
  const body = tar(entry({ name: 'a' }, 'hello'), entry({ name: 'b' }, 'world'));
  const garbage = Buffer.from('this is not a tar header at all, and it is not zero'.repeat(40));
  const cases: Array<[string, Buffer]> = [
    ['two zero blocks then garbage', tar(body, EOF, garbage)],
    ['many zero blocks (record padding)', tar(body, Buffer.alloc(10240))],
    ['one zero block then a non-zero block', tar(body, Buffer.alloc(512), entry({ name: 'ghost' }, 'boo'), EOF)],
    ['one zero block then garbage', tar(body, Buffer.alloc(512), garbage)],
    ['one zero block at the very end', tar(body, Buffer.alloc(512))],
    ['half a zero block after two', tar(body, EOF, Buffer.alloc(100))],
  ];
  for (const [what, buf] of cases) {
    for (const chunk of [buf.length, 1, 300, 512, 1024]) {
      assert.deepEqual(
        parse(buf, chunk).map((g) => [g.h.path, g.data.toString()]),
        [
          ['a', 'hello'],
          ['b', 'world'],
        ],
        `${what}, chunk ${chunk}`,
      );
    }
  }
  // Writes after the end marker are accepted and ignored.
  const c = new Collector();
  const p = new TarParser(c);
  p.write(tar(body, EOF));
  p.write(garbage);
  p.write(Buffer.alloc(5));
  p.end();
  assert.equal(c.got.length, 2);
});

test('oversized extended headers are rejected before they are read', () => {
  const limit = 1024 * 1024;
  for (const type of ['x', 'g', 'L', 'K']) {
    // Only the header is present: the size alone must be refused.
    const h = header({ name: 'hostile', type, size: limit + 1 });
    const err = parseError(h);
    assert.ok(err instanceof TarFormatError, type);
    assert.match(err.message, /exceeds the 1048576-byte limit/, type);
  }
  const huge = header({ name: 'hostile', type: 'x', size: 2 ** 40, base256: ['size'], format: 'gnu' });
  assertTarError(huge, /exceeds/);
  // Exactly at the limit is fine.
  const body = paxRecord('comment', 'c'.repeat(limit - 17));
  assert.equal(body.length, limit);
  const ok = tar(entry({ name: 'PaxHeaders/x', type: 'x' }, body), entry({ name: 'fine' }, 'f'), EOF);
  assert.deepEqual(
    parse(ok, 65536).map((g) => g.h.path),
    ['fine'],
  );
});

test('many extended headers before one entry are capped', () => {
  const big = pax([['comment', 'c'.repeat(1024 * 1024 - 30)]]);
  assertTarError(tar(big, big, big, big, big, entry({ name: 'x' }), EOF), /extended headers before one entry exceed/);
});

test('unsupported typeflags are rejected naming the type; GNU D is a directory', () => {
  const cases: Array<[string, RegExp]> = [
    ['S', /unsupported tar entry type 'S' \(GNU sparse file\) for "e"/],
    ['V', /unsupported tar entry type 'V' \(GNU volume label\)/],
    ['N', /unsupported tar entry type 'N'/],
    ['M', /unsupported tar entry type 'M'/],
    ['X', /unsupported tar entry type 'X'/],
    ['Z', /unsupported tar entry type 'Z' for "e"/],
    ['8', /unsupported tar entry type '8'/],
    ['\u0001', /unsupported tar entry type 0x01/],
  ];
  for (const [type, re] of cases) {
    assertTarError(tar(entry({ name: 'e', type, format: 'gnu' }, 'body'), EOF), re);
  }
  // PAX-format sparse files.
  assertTarError(tar(pax([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0']]), entry({ name: 'e' }, 'x'), EOF), /sparse/);
  // GNU dumpdir: a directory whose body (a listing) is skipped.
  const buf = tar(entry({ name: 'dump/', type: 'D', format: 'gnu' }, 'Yfile1\0Nfile2\0\0'), entry({ name: 'after' }, 'a'), EOF);
  assert.deepEqual(
    parse(buf).map((g) => [g.h.path, g.h.type, g.h.size, g.data.toString()]),
    [
      ['dump/', 'directory', 0, ''],
      ['after', 'file', 1, 'a'],
    ],
  );
});

test('malformed PAX records are rejected', () => {
  const raw = (body: string | Buffer) => tar(entry({ name: 'PaxHeaders/x', type: 'x' }, body), entry({ name: 'f' }), EOF);
  assertTarError(raw('abc path=x\n'), /invalid PAX record: bad length/);
  assertTarError(raw('99 path=x\n'), /length does not match/);
  assertTarError(raw('5 path=x\n'), /length does not match|missing "="/);
  assertTarError(raw('10 pathxx\n'), /missing "="/);
  assertTarError(raw('6 =xx\n'), /empty key/);
  assertTarError(raw('10 path=x\nq'), /bad length/);
  assertTarError(raw('0 \n'), /bad length/);
  assertTarError(raw('9 size=x\n'), /invalid PAX size value/);
  assertTarError(raw('14 uid=-12345\n'), /invalid PAX uid value/);
  assertTarError(raw('15 mtime=1e100\n'), /invalid PAX mtime value/);
  assertTarError(raw('29 size=99999999999999999999\n'), /out of range/);
  // A tail of NULs after the records is tolerated.
  assert.equal(parse(raw(Buffer.concat([paxRecord('path', 'ok'), Buffer.alloc(20)])))[0]!.h.path, 'ok');
});

test('the parser is unusable after an error, and after end()', () => {
  const c = new Collector();
  const p = new TarParser(c);
  assert.throws(() => p.write(header({ name: 'bad', checksum: 1 })), TarFormatError);
  assert.throws(() => p.write(entry({ name: 'good' })), TarFormatError);
  assert.throws(() => p.end(), TarFormatError);
  const q = new TarParser(new Collector());
  q.write(tar(entry({ name: 'a' }, 'x')));
  q.end();
  assert.throws(() => q.write(Buffer.alloc(512)), /write after end/);
});

test('errors thrown by the sink propagate', () => {
  const p = new TarParser({
    entry: () => {
      throw new Error('disk full');
    },
    data: () => {},
    endEntry: () => {},
  });
  assert.throws(() => p.write(tar(entry({ name: 'a' }, 'x'), EOF)), /disk full/);
  assert.throws(() => p.end(), /disk full/);
});

test('body chunks are subarrays of the input (no copy) when the body is inside one chunk', () => {
  const buf = tar(entry({ name: 'a' }, Buffer.alloc(3000, 0x61)), EOF);
  const seen: Buffer[] = [];
  const p = new TarParser({ entry: () => {}, data: (c) => seen.push(c), endEntry: () => {} });
  p.write(buf);
  p.end();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.buffer, buf.buffer);
  assert.equal(seen[0]!.byteOffset, buf.byteOffset + 512);
});

// ---------------------------------------------------------------------------------------
// Every chunk size from 1 to 700 on a rich crafted archive.

function richArchive(): Buffer {
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x0a, 0x3d, 0x00, 0xff]);
  return tar(
    pax([['comment', 'global'], ['uname', 'gl']], 'g'),
    entry({ name: 'dir/', type: '5', mode: 0o755 }),
    entry({ name: 'dir/empty' }),
    entry({ name: 'dir/one' }, 'x'),
    entry({ name: 'dir/511' }, Buffer.alloc(511, 0x31)),
    entry({ name: 'dir/512' }, Buffer.alloc(512, 0x32)),
    entry({ name: 'dir/513' }, Buffer.alloc(513, 0x33)),
    pax([['path', 'dir/' + 'p'.repeat(300)], ['SCHILY.xattr.security.capability', cap], ['mtime', '1.5']]),
    entry({ name: 'dir/ppp' }, Buffer.from(Array.from({ length: 1500 }, (_, i) => i & 0xff))),
    gnuLong('L', 'dir/' + 'g'.repeat(200)),
    gnuLong('K', 'dir/' + 'k'.repeat(200)),
    entry({ name: 'dir/ggg', type: '2', linkname: 'dir/kkk', format: 'gnu' }),
    entry({ name: 'dir/hard', type: '1', linkname: 'dir/one' }),
    entry({ name: 'c'.repeat(90), prefix: 'pre/fix', type: '3', devmajor: 5, devminor: 1 }),
    header({ name: 'dir/b256', format: 'gnu', size: 700, uid: 5_000_000, base256: ['size', 'uid'] }),
    Buffer.alloc(700, 0x42),
    pad(700),
    entry({ name: 'dir/fifo', type: '6' }),
    pax([['LIBARCHIVE.xattr.user.b64', Buffer.from([0, 10, 61]).toString('base64')]]),
    entry({ name: 'dir/last' }, 'last'),
    EOF,
    Buffer.from('trailing garbage after the end marker'),
  );
}

test('every chunk size from 1 to 700 gives the same entries (crafted archive)', () => {
  const buf = richArchive();
  const got = parse(buf);
  assert.equal(got.length, 13);
  assert.equal(got[6]!.h.path, 'dir/' + 'p'.repeat(300));
  assert.deepEqual(got[6]!.h.xattrs.get('security.capability'), Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x0a, 0x3d, 0x00, 0xff]));
  assert.equal(got[12]!.h.xattrs.get('user.b64')!.toString('hex'), '000a3d');
  assert.ok(got.every((g) => g.h.uname === 'gl'));
  sweep(buf, 1, 700);
});

test('irregular chunkings give the same entries (crafted archive)', () => {
  const buf = richArchive();
  const expected = parse(buf);
  const patterns = [
    [511, 1, 512, 2],
    [1, 1023],
    [3, 5, 7, 11, 13, 509, 1021],
    [4096, 17],
    [100_000],
  ];
  for (const sizes of patterns) assert.deepEqual(parseSizes(buf, sizes), expected, sizes.join(','));
});

// ---------------------------------------------------------------------------------------
// Archives written by GNU tar.

interface FsEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'fifo';
  mode: number;
  linkpath: string;
  data: string;
}

let treeRoot: string | undefined;

/** A tree with every kind of entry GNU tar can archive without root or special filesystems. */
function makeTree(): { root: string; expected: FsEntry[] } {
  const root = (treeRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-tar-test-')));
  const top = path.join(root, 'tree');
  fs.rmSync(top, { recursive: true, force: true });
  const expected: FsEntry[] = [];
  const dir = (rel: string, mode = 0o755) => {
    fs.mkdirSync(path.join(root, rel));
    fs.chmodSync(path.join(root, rel), mode);
    expected.push({ path: rel, type: 'directory', mode, linkpath: '', data: '' });
  };
  const file = (rel: string, data: string, mode = 0o644) => {
    fs.writeFileSync(path.join(root, rel), data);
    fs.chmodSync(path.join(root, rel), mode);
    expected.push({ path: rel, type: 'file', mode, linkpath: '', data });
  };
  const symlink = (rel: string, target: string) => {
    fs.symlinkSync(target, path.join(root, rel));
    expected.push({ path: rel, type: 'symlink', mode: 0o777, linkpath: target, data: '' });
  };
  dir('tree');
  file('tree/hello.txt', 'hello, world\n');
  file('tree/empty', '');
  file('tree/block', 'b'.repeat(512));
  file('tree/big', Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
  file('tree/setuid', '#!/bin/sh\n', 0o4755);
  dir('tree/sticky', 0o1777);
  dir('tree/ünïcødé');
  file('tree/ünïcødé/日本語.txt', 'こんにちは\n');
  file('tree/ünïcødé/emoji-🙂', '🙂');
  // Long names: > 100 bytes in one component, and > 255 bytes in all.
  const deep = 'tree/' + 'd'.repeat(90) + '/' + 'e'.repeat(90);
  dir('tree/' + 'd'.repeat(90));
  dir(deep);
  file(deep + '/' + 'f'.repeat(120) + '.txt', 'deep file\n');
  symlink('tree/short-link', 'hello.txt');
  symlink('tree/long-link', '../' + 'x'.repeat(150) + '/target');
  symlink('tree/abs-link', '/etc/passwd');
  fs.linkSync(path.join(root, 'tree/hello.txt'), path.join(root, 'tree/hard-link'));
  expected.push({ path: 'tree/hard-link', type: 'hardlink', mode: 0o644, linkpath: 'tree/hello.txt', data: '' });
  execFileSync('mkfifo', [path.join(root, 'tree/fifo')]);
  fs.chmodSync(path.join(root, 'tree/fifo'), 0o640);
  expected.push({ path: 'tree/fifo', type: 'fifo', mode: 0o640, linkpath: '', data: '' });
  return { root, expected };
}

function gnuTar(root: string, args: string[]): Buffer {
  return execFileSync('tar', ['-C', root, '-cf', '-', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', ...args, 'tree'], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, LC_ALL: 'C.UTF-8' },
  });
}

function checkAgainstTree(got: Got[], expected: FsEntry[], label: string): void {
  const byPath = new Map(got.map((g) => [g.h.path.replace(/\/$/, ''), g]));
  assert.equal(got.length, expected.length, `${label}: entry count`);
  for (const e of expected) {
    const g = byPath.get(e.path);
    assert.ok(g, `${label}: missing ${e.path}`);
    // GNU tar archives the second name of a hardlinked file as a hardlink to the first.
    if (e.path === 'tree/hello.txt' || e.path === 'tree/hard-link') {
      assert.ok(g.h.type === 'file' || (g.h.type === 'hardlink' && /^tree\/(hello\.txt|hard-link)$/.test(g.h.linkpath)), `${label}: ${e.path}`);
      if (g.h.type === 'file') assert.equal(g.data.toString(), 'hello, world\n');
      continue;
    }
    assert.equal(g.h.type, e.type, `${label}: type of ${e.path}`);
    assert.equal(g.h.mode, e.mode, `${label}: mode of ${e.path}`);
    assert.equal(g.h.linkpath, e.linkpath, `${label}: linkpath of ${e.path}`);
    assert.equal(g.data.toString(), e.data, `${label}: data of ${e.path}`);
    assert.equal(g.h.size, Buffer.byteLength(e.data), `${label}: size of ${e.path}`);
    assert.deepEqual([g.h.uid, g.h.gid], [0, 0], `${label}: owner of ${e.path}`);
    if (e.type === 'directory') assert.ok(g.h.path.endsWith('/'), `${label}: directory ${g.h.path} keeps its slash`);
  }
}

test('GNU tar --format=pax, gnu, posix, oldgnu archives of a real tree', () => {
  const { root, expected } = makeTree();
  for (const format of ['pax', 'posix', 'gnu', 'oldgnu']) {
    const buf = gnuTar(root, [`--format=${format}`]);
    checkAgainstTree(parse(buf), expected, format);
    checkAgainstTree(parse(buf, 4096), expected, `${format} 4096`);
    checkAgainstTree(parseSizes(buf, [1, 511, 513, 100, 65536]), expected, `${format} irregular`);
  }
});

test('GNU tar ustar archive uses the prefix field', () => {
  const root = (treeRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-tar-test-')));
  const top = path.join(root, 'tree');
  fs.rmSync(top, { recursive: true, force: true });
  const rel = 'tree/' + 'a'.repeat(80) + '/' + 'b'.repeat(60);
  fs.mkdirSync(path.join(root, rel), { recursive: true });
  fs.writeFileSync(path.join(root, rel, 'file.txt'), 'prefixed');
  const buf = gnuTar(root, ['--format=ustar']);
  // The name is longer than 100 bytes, so it must have been split into prefix + name.
  const paths = parse(buf).map((g) => g.h.path);
  assert.deepEqual(paths, ['tree/', `tree/${'a'.repeat(80)}/`, `${rel}/`, `${rel}/file.txt`]);
  assert.equal(parse(buf).at(-1)!.data.toString(), 'prefixed');
  assert.ok(buf.subarray(3 * 512 + 345, 3 * 512 + 500).toString('latin1').startsWith('tree/'), 'prefix field used');
});

test('GNU tar archive of the real tree at every chunk size from 1 to 700', () => {
  const { root } = makeTree();
  const buf = gnuTar(root, ['--format=pax']);
  sweep(buf, 1, 700);
});

test('GNU tar: large uid/gid (base-256 in gnu format, PAX records in pax format) and fractional mtime', () => {
  const root = (treeRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-tar-test-')));
  const top = path.join(root, 'tree');
  fs.rmSync(top, { recursive: true, force: true });
  fs.mkdirSync(top);
  fs.writeFileSync(path.join(top, 'f'), 'owned');
  fs.utimesSync(path.join(top, 'f'), 1577836800.5, 1577836800.5);
  for (const format of ['gnu', 'pax']) {
    const buf = execFileSync('tar', ['-C', root, '-cf', '-', `--format=${format}`, '--owner=big:3000000000', '--group=big:3000000001', 'tree/f']);
    if (format === 'gnu') assert.equal(buf[108]! & 0x80, 0x80, 'gnu tar used base-256 for the uid');
    const [g] = parse(buf);
    assert.deepEqual([g!.h.path, g!.h.uid, g!.h.gid, g!.h.uname, g!.h.gname, g!.data.toString()], ['tree/f', 3_000_000_000, 3_000_000_001, 'big', 'big', 'owned']);
    if (format === 'pax') assert.equal(g!.h.mtime, 1577836800.5);
    else assert.equal(g!.h.mtime, 1577836800);
  }
});

test('GNU tar appends end-of-archive padding to a 10240-byte record: all ignored', () => {
  const { root } = makeTree();
  const buf = gnuTar(root, ['--format=gnu']);
  assert.equal(buf.length % 10240, 0);
  const c = new Collector();
  const p = new TarParser(c);
  p.write(buf);
  p.end();
  assert.ok(p.entries > 10);
});

after(() => {
  if (treeRoot !== undefined) fs.rmSync(treeRoot, { recursive: true, force: true });
});
