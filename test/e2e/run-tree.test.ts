// The container sees exactly the image's tree: the overlay a created container gets is the
// tree pull-tree.test.ts expects (whiteouts, opaque dirs, replacements, hardlinks, symlinks,
// devices, xattrs, owners, modes), and a running container sees that tree too, under the
// runtime's own mounts and nothing else.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../src/oci/runtime-spec.js';
import { BUSYBOX_BIN } from '../helpers/busybox.js';
import { type CliResult, runCli, tempRoot } from '../helpers/cli.js';
import { assertNoContainers } from '../helpers/container-check.js';
import { pushImage, type ImageInput } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { DEFAULT_MTIME, makeTar, type TarSpec } from '../helpers/tar-writer.js';
import { expectedTree, layer1, layer2, layer3 } from '../helpers/tree-image.js';
import { asObject, readTree, type Node, d, f, l } from '../helpers/tree.js';


// A shell under the tree: busybox in usr/bin, reached through layer1's bin -> usr/bin symlink.
// (The busybox helper layer has a bin/ directory, which layer1's bin symlink would replace.)
const TOOLS = ['sh', 'find', 'stat', 'sort', 'sha256sum', 'readlink', 'cat', 'printf'];
const BUSYBOX = readFileSync(BUSYBOX_BIN);
const toolsLayer: TarSpec[] = [
  { path: 'usr/', type: 'dir' },
  { path: 'usr/bin/', type: 'dir' },
  { path: 'usr/bin/busybox', content: BUSYBOX, mode: 0o755 },
  ...TOOLS.map((t): TarSpec => ({ path: `usr/bin/${t}`, type: 'symlink', linkpath: 'busybox' })),
];
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
function expectedWithTools(): Record<string, Node> {
  const exp = expectedTree();
  exp['usr/bin/busybox'] = f(sha256(BUSYBOX), { mode: 0o755 });
  for (const t of TOOLS) exp[`usr/bin/${t}`] = l('busybox');
  return Object.fromEntries(Object.entries(exp).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function treeImage(withTools: boolean): ImageInput {
  return {
    layers: [
      ...(withTools ? [{ tar: makeTar(toolsLayer) }] : []),
      { tar: makeTar(layer1), compression: 'gzip' as const },
      { tar: makeTar(layer2), compression: 'none' as const },
      { tar: makeTar(layer3), compression: 'gzip' as const },
    ],
    config: { config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'] } },
  };
}

/** The host view of a tree, as what the container's find/stat/sha256sum can tell: no xattrs, contents as sha256. */
function insideView(tree: Record<string, Node>): Record<string, Node> {
  const out: Record<string, Node> = {};
  for (const [p, n] of Object.entries(tree)) {
    const { xattrs: _x, ...rest } = n;
    if (rest.content !== undefined && !/^[0-9a-f]{64}$/.test(rest.content)) rest.content = sha256(rest.content);
    out[p] = rest;
  }
  return out;
}

// Run inside the container: every path of the root filesystem (not below other mounts),
// its type and attributes, symlink targets and file checksums.
const LIST_SCRIPT = String.raw`cd / || exit 1
find . -xdev ! -path . -exec stat -c '%n	%F	%a	%u	%g	%i	%t:%T' {} +
echo '--links'
find . -xdev -type l -exec sh -c 'for p; do printf "%s\t%s\n" "$p" "$(readlink "$p")"; done' sh {} +
echo '--sums'
find . -xdev -type f -exec sha256sum {} +
`;

const TYPES: Record<string, Node['type']> = {
  'regular file': 'file', 'regular empty file': 'file', directory: 'dir', 'symbolic link': 'symlink',
  'character special file': 'chardev', 'block special file': 'blockdev', fifo: 'fifo', socket: 'socket',
};

function parseListing(text: string): Record<string, Node> {
  const [stats = '', rest = ''] = text.split('--links\n');
  const [links = '', sums = ''] = rest.split('--sums\n');
  const out = new Map<string, Node>();
  const inodes = new Map<string, string[]>();
  for (const line of stats.split('\n').filter(Boolean)) {
    const [name = '', type = '', mode = '', uid = '', gid = '', ino = '', rdev = ''] = line.split('\t');
    const p = name.replace(/^\.\//, '');
    const t = TYPES[type];
    assert.ok(t, `unknown type ${type} of ${p}`);
    const n: Node = { type: t, mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid) };
    if (t === 'symlink') delete (n as Partial<Node>).mode;
    if (t === 'chardev' || t === 'blockdev') n.rdev = rdev.split(':').map((x) => parseInt(x, 16)).join(':');
    if (t === 'file') inodes.set(ino, [...(inodes.get(ino) ?? []), p]);
    out.set(p, n);
  }
  for (const line of links.split('\n').filter(Boolean)) {
    const [name = '', target = ''] = line.split('\t');
    out.get(name.replace(/^\.\//, ''))!.target = target;
  }
  for (const line of sums.split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64})\s+(.*)$/.exec(line)!;
    out.get(m[2]!.replace(/^\.\//, ''))!.content = m[1]!;
  }
  for (const paths of inodes.values()) {
    if (paths.length < 2) continue;
    const group = [...paths].sort()[0]!;
    for (const p of paths) out.get(p)!.link = group;
  }
  return Object.fromEntries([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('run: the container sees exactly the image\'s tree', () => {
  let reg: RunningRegistry;
  const { root, cleanup } = tempRoot();
  const tmp = mkdtempSync(join(tmpdir(), 'skiff-runtree-'));
  let TREE = '';
  let TOOLS_TREE = '';
  const cli = (...args: string[]): Promise<CliResult> => runCli(['--root', root, ...args]);
  const ok = (r: CliResult): string => {
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'rt/tree', 'v1', treeImage(false));
    await pushImage(reg.url, 'rt/tools', 'v1', treeImage(true));
    TREE = `${reg.host}/rt/tree:v1`;
    TOOLS_TREE = `${reg.host}/rt/tools:v1`;
    for (const ref of [TREE, TOOLS_TREE]) ok(await cli('pull', ref));
  });
  after(async () => {
    await reg?.stop();
    cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [what, image, expected] of [
    ['the 3-layer image', () => TREE, expectedTree],
    ['the image with a shell under it', () => TOOLS_TREE, expectedWithTools],
  ] as const) {
    test(`create: the overlay of ${what} is the image's tree`, async () => {
      const id = ok(await cli('create', image())).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      try {
        const rootfs = join(root, 'containers', id, 'rootfs');
        const tree = asObject(readTree(rootfs, { xattrs: true }));
        const exp = expected();
        // Plus the mount points runc binds the container's own files onto, where the image has
        // none (made before the root is mounted, as docker's init layer holds them): the image's
        // /etc/hostname stays as it is, and /etc keeps the image's mode, owner and times.
        for (const name of ['hosts', 'resolv.conf']) exp[`etc/${name}`] = f('', { mode: 0o644 });
        assert.equal(statSync(join(rootfs, 'etc')).mtimeMs, DEFAULT_MTIME * 1000);
        // xattrs are compared only where the layer set them (as in pull-tree).
        for (const [p, n] of Object.entries(tree)) if (!exp[p]?.xattrs) delete n.xattrs;
        assert.deepEqual(tree, exp);
      } finally {
        ok(await cli('rm', id));
      }
    });
  }

  test('inside a running container: the same tree, plus only the runtime\'s mount points', async () => {
    const cid = join(tmp, 'inside.cid');
    const out = ok(await cli('run', '--cidfile', cid, TOOLS_TREE, 'sh', '-c', LIST_SCRIPT));
    const id = readFileSync(cid, 'utf8');
    try {
      const inside = parseListing(out);
      const dir = join(root, 'containers', id);
      const exp = insideView(expectedWithTools());
      // The runtime's mounts hide or add exactly these: /dev is a tmpfs (the image's nodes are
      // under it), /proc and /sys are mount points runc made, /etc/{hosts,hostname,resolv.conf}
      // are the container's own files bound over the image's.
      delete exp['dev/null'];
      delete exp['dev/fifo'];
      exp.dev = d();
      exp.proc = d({ mode: 0o555 });
      exp.sys = d({ mode: 0o555 });
      for (const name of ['hosts', 'hostname', 'resolv.conf']) exp[`etc/${name}`] = { ...f(sha256(readFileSync(join(dir, name)))) };
      assert.equal(readFileSync(join(dir, 'hostname'), 'utf8'), `${id.slice(0, 12)}\n`);
      const sorted = Object.fromEntries(Object.entries(exp).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      assert.deepEqual(inside, sorted);
    } finally {
      ok(await cli('rm', id));
    }
  });

  test('inside a running container: /proc/self/mountinfo lists only the runtime\'s own mounts', async () => {
    const out = ok(await cli('run', '--rm', TOOLS_TREE, 'cat', '/proc/self/mountinfo'));
    const mounts = out.split('\n').filter(Boolean).map((line) => {
      const fields = line.split(' ');
      const sep = fields.indexOf('-');
      return { point: fields[4]!, fstype: fields[sep + 1]!, options: fields[5]! };
    });
    const points = mounts.map((m) => m.point);
    const required = ['/', '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];
    for (const p of required) assert.ok(points.includes(p), `${p} not mounted:\n${out}`);
    const allowed = new Set([...required, ...DEFAULT_MASKED_PATHS, ...DEFAULT_READONLY_PATHS]);
    const unexpected = points.filter((p) => !allowed.has(p) && !/^\/sys\/fs\/cgroup\/[^/]+$/.test(p));
    assert.deepEqual(unexpected, [], out);
    // Each point once, except masked/read-only /proc paths (a bind then its read-only remount).
    const dup = points.filter((p, i) => points.indexOf(p) !== i && !p.startsWith('/proc/'));
    assert.deepEqual(dup, [], out);
    const byPoint = new Map(mounts.map((m) => [m.point, m]));
    assert.equal(byPoint.get('/')!.fstype, 'overlay');
    assert.equal(byPoint.get('/proc')!.fstype, 'proc');
    assert.equal(byPoint.get('/dev')!.fstype, 'tmpfs');
    assert.equal(byPoint.get('/dev/pts')!.fstype, 'devpts');
    assert.equal(byPoint.get('/dev/mqueue')!.fstype, 'mqueue');
    assert.equal(byPoint.get('/sys')!.fstype, 'sysfs');
    assert.match(byPoint.get('/sys')!.options, /^ro\b/);
    assert.match(byPoint.get('/proc/sys')!.options, /^ro\b/);
    // Masked and read-only paths the kernel has (the host's /proc and /sys tell) are all covered.
    const present = [...DEFAULT_MASKED_PATHS, ...DEFAULT_READONLY_PATHS].filter((p) => existsSync(p));
    assert.ok(present.length >= 5, present.join(' '));
    for (const p of present) assert.ok(points.includes(p), `${p} is not masked or read-only:\n${out}`);
    for (const p of DEFAULT_READONLY_PATHS.filter((x) => existsSync(x))) assert.match(byPoint.get(p)!.options, /^ro\b/, p);
  });

  test('nothing is left behind', () => {
    assertNoContainers(root);
  });
});
