// Test-only: the 3-layer image the tree tests share (whiteouts, opaque directories, type
// replacements, hardlinks, long and unicode names, setuid and non-root files, symlinks,
// xattrs, a device and a fifo) and the tree the image spec says it unpacks to.
import type { TarSpec } from './tar-writer.js';
import { type Node, d, f, l } from './tree.js';

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_raw+ep, with 0x00 bytes
const LONG = `long/${'d'.repeat(120)}/${'f'.repeat(150)}.txt`;
const UNI = 'ünïcödé/файл-名前.txt';

export const layer1: TarSpec[] = [
  { path: 'etc/', type: 'dir' },
  { path: 'etc/hostname', content: 'one\n' },
  { path: 'etc/abs', type: 'symlink', linkpath: '/etc/hostname' },
  { path: 'etc/rel', type: 'symlink', linkpath: '../usr/bin/su' },
  { path: 'usr/', type: 'dir' },
  { path: 'usr/bin/', type: 'dir' },
  { path: 'usr/bin/su', content: 'setuid-binary', mode: 0o4755 },
  { path: 'usr/bin/su2', type: 'hardlink', linkpath: 'usr/bin/su' },
  { path: 'usr/bin/ping', content: 'ping', mode: 0o755, xattrs: { 'security.capability': CAP, 'user.note': 'hello' } },
  { path: 'usr/lib/', type: 'dir' },
  { path: 'bin', type: 'symlink', linkpath: 'usr/bin' },
  { path: 'lib/', type: 'dir' },
  { path: 'lib/shared.so', content: 'shared-object', mode: 0o755, uid: 7, gid: 8 },
  { path: 'a/', type: 'dir' },
  { path: 'a/x', content: 'x1' },
  { path: 'a/keep/', type: 'dir' },
  { path: 'a/keep/k', content: 'k' },
  { path: 'opq/', type: 'dir', mode: 0o750 },
  { path: 'opq/old1/', type: 'dir' },
  { path: 'opq/old1/f', content: 'f' },
  { path: 'opq/sub/deep/f', content: 'deep' },
  { path: 'swap1/', type: 'dir' },
  { path: 'swap1/child', content: 'child' },
  { path: 'swap2', content: 'file becomes dir' },
  { path: 'c/', type: 'dir' },
  { path: 'c/old', content: 'old' },
  { path: 'home/', type: 'dir' },
  { path: 'home/u/', type: 'dir', uid: 1000, gid: 1000, mode: 0o700 },
  { path: 'home/u/file', content: 'mine', uid: 1000, gid: 1000, mode: 0o640 },
  { path: 'tmp/', type: 'dir', mode: 0o1777 },
  { path: 'sgid/', type: 'dir', mode: 0o2775, gid: 50 },
  { path: `${LONG}`, content: 'long name' },
  { path: UNI, content: 'unicode' },
  { path: 'dev/', type: 'dir' },
  { path: 'dev/null', type: 'chardev', devmajor: 1, devminor: 3, mode: 0o666 },
  { path: 'dev/fifo', type: 'fifo', mode: 0o600 },
];

export const layer2: TarSpec[] = [
  { path: 'a/.wh.x', content: '' },
  { path: 'a/keep/.wh.k', content: '' },
  { path: 'opq/.wh..wh..opq', content: '' },
  { path: 'opq/new', content: 'new' },
  { path: 'swap1', content: 'now a file' },
  { path: 'swap2/', type: 'dir' },
  { path: 'swap2/inner', content: 'inner' },
  { path: 'bin/newtool', content: 'through usrmerge symlink', mode: 0o755 },
  { path: 'usr/lib/shared-link', type: 'hardlink', linkpath: 'lib/shared.so' },
  { path: 'etc/hostname', content: 'two\n' },
  { path: '.wh.nonexistent', content: '' },
];

export const layer3: TarSpec[] = [
  { path: '.wh.a', content: '' },
  { path: 'a/', type: 'dir' },
  { path: 'a/fresh', content: 'fresh' },
  { path: 'c/new', content: 'new in c' },
  { path: '.wh.c', content: '' },
];

/** The merged tree of layer1..3, entry by entry. */
export function expectedTree(): Record<string, Node> {
  return {
    a: d(),
    'a/fresh': f('fresh'),
    bin: l('usr/bin'),
    c: d(),
    'c/new': f('new in c'),
    dev: d(),
    'dev/fifo': { type: 'fifo', mode: 0o600, uid: 0, gid: 0 },
    'dev/null': { type: 'chardev', mode: 0o666, uid: 0, gid: 0, rdev: '1:3' },
    etc: d(),
    'etc/abs': l('/etc/hostname'),
    'etc/hostname': f('two\n'),
    'etc/rel': l('../usr/bin/su'),
    home: d(),
    'home/u': d({ uid: 1000, gid: 1000, mode: 0o700 }),
    'home/u/file': f('mine', { uid: 1000, gid: 1000, mode: 0o640 }),
    lib: d(),
    'lib/shared.so': f('shared-object', { mode: 0o755, uid: 7, gid: 8 }),
    long: d(),
    [`long/${'d'.repeat(120)}`]: d(),
    [LONG]: f('long name'),
    opq: d({ mode: 0o750 }),
    'opq/new': f('new'),
    sgid: d({ mode: 0o2775, gid: 50 }),
    swap1: f('now a file'),
    swap2: d(),
    'swap2/inner': f('inner'),
    tmp: d({ mode: 0o1777 }),
    'ünïcödé': d(),
    [UNI]: f('unicode'),
    usr: d(),
    'usr/bin': d(),
    'usr/bin/newtool': f('through usrmerge symlink', { mode: 0o755 }),
    'usr/bin/ping': f('ping', { mode: 0o755, xattrs: { 'security.capability': CAP.toString('hex'), 'user.note': Buffer.from('hello').toString('hex') } }),
    'usr/bin/su': f('setuid-binary', { mode: 0o4755, link: 'usr/bin/su' }),
    'usr/bin/su2': f('setuid-binary', { mode: 0o4755, link: 'usr/bin/su' }),
    'usr/lib': d(),
    'usr/lib/shared-link': f('shared-object', { mode: 0o755, uid: 7, gid: 8 }),
  };
}
