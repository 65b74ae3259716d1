// Hostile layers leave the host untouched. Each image below is crafted to reach outside the
// snapshot it unpacks into: absolute paths, '..' runs, symlinks to host directories (in the same
// layer and in a lower one), whiteouts and opaque markers through such symlinks, hardlinks to host
// files, symlink swaps, chmod/chown through symlinks, the root entry itself, and malformed blobs.
// Every case either pulls with the result confined to the image (checked exactly, through an
// overlay mount as a container sees it) or fails with a one-line error naming the entry and
// leaves no image, no half snapshot and no snapshot for the failed layer. After every case the
// sentinel directories outside the store are byte-for-byte, mode-for-mode unchanged, the paths
// aimed at do not exist, and the store root is still mode 0700.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { chainIds, type Digest } from '../../src/oci/digest.js';
import { openStore } from '../../src/store/store.js';
import { lgetxattr, llistxattr } from '../../src/sys/libc.js';
import { runCli, tempRoot } from '../helpers/cli.js';
import { MEDIA, pushImage, pushRawLayers, putManifest, sha256, type ImageInput } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar, type TarSpec } from '../helpers/tar-writer.js';
import { asObject, mountImage, readTree, type Node, d, f, l } from '../helpers/tree.js';

// ---- the outside world ------------------------------------------------------------------------

/** Host places one case aims at. S and O exist (S holds files); E and R must never appear. */
interface Outside {
  /** Sentinel dir: victim (0640), sub/ (0750) with victim2, sub/deeper/ (0700). Mode 0750. */
  S: string;
  /** A second, empty outside dir, mode 0711. */
  O: string;
  /** /tmp/skiff-escape-<random>: does not exist. */
  E: string;
  /** /skiff-escape-<random> at the host root: does not exist. */
  R: string;
  /** The same, relative (no leading '/'): what they are called inside an image. */
  Srel: string;
  Orel: string;
  Erel: string;
  Rrel: string;
}

/** Far more '..' than any store path is deep. */
const UP = '../'.repeat(16);
const HOST_SECRET = 'host secret: must never be read, linked, changed or removed\n';
const FIXED_TIME = 1_600_000_000;

const made: string[] = [];

function makeOutside(): Outside {
  const S = mkdtempSync(join(tmpdir(), 'skiff-sentinel-'));
  const O = mkdtempSync(join(tmpdir(), 'skiff-outside-'));
  made.push(S, O);
  writeFileSync(join(S, 'victim'), HOST_SECRET);
  chmodSync(join(S, 'victim'), 0o640);
  mkdirSync(join(S, 'sub'));
  chmodSync(join(S, 'sub'), 0o750);
  writeFileSync(join(S, 'sub', 'victim2'), HOST_SECRET);
  mkdirSync(join(S, 'sub', 'deeper'));
  chmodSync(join(S, 'sub', 'deeper'), 0o700);
  for (const p of [join(S, 'victim'), join(S, 'sub', 'victim2'), join(S, 'sub', 'deeper'), join(S, 'sub'), S]) utimesSync(p, FIXED_TIME, FIXED_TIME);
  chmodSync(S, 0o750);
  chmodSync(O, 0o711);
  utimesSync(O, FIXED_TIME, FIXED_TIME);
  const rnd = randomBytes(6).toString('hex');
  const E = join(tmpdir(), `skiff-escape-${rnd}`);
  const R = `/skiff-escape-${rnd}`;
  return { S, O, E, R, Srel: S.slice(1), Orel: O.slice(1), Erel: E.slice(1), Rrel: R.slice(1) };
}

function statInfo(p: string, withTimes: boolean): Record<string, unknown> {
  const st = lstatSync(p);
  const xattrs = Object.fromEntries(llistxattr(p).sort().map((x) => [x, lgetxattr(p, x)?.toString('hex')]));
  return {
    mode: st.mode.toString(8),
    uid: st.uid,
    gid: st.gid,
    ...(withTimes ? { nlink: st.nlink } : {}),
    size: st.isFile() ? st.size : undefined,
    sha: st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : undefined,
    ino: st.ino,
    ...(withTimes ? { mtime: st.mtimeMs, ctime: st.ctimeMs } : {}),
    xattrs,
  };
}

/** Everything about the outside that a hostile layer could change. ctime catches chmod, chown, link and xattr changes. */
function describeOutside(o: Outside): string {
  const out: Record<string, unknown> = {};
  for (const dir of [o.S, o.O]) {
    out[dir] = statInfo(dir, true);
    const walk = (d: string): void => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        out[p] = statInfo(p, true);
        if (lstatSync(p).isDirectory()) walk(p);
      }
    };
    walk(dir);
  }
  // Host places shared with everything else on the machine: no times (others write there).
  for (const p of ['/', '/tmp', '/etc']) out[p] = statInfo(p, false);
  out['/etc/passwd'] = statInfo('/etc/passwd', true);
  return JSON.stringify(out, null, 1);
}

// ---- expected trees ---------------------------------------------------------------------------

/** Implied directories for every parent of `rel` (mode 0755, root-owned, as tar makes them). */
function parents(rel: string): Record<string, Node> {
  const out: Record<string, Node> = {};
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) out[parts.slice(0, i).join('/')] = d();
  return out;
}

// ---- the case runner --------------------------------------------------------------------------

interface Ok {
  tree: Record<string, Node>;
  /** Expected mode/uid/gid of the image's root directory, when the layer sets them. */
  root?: { mode: number; uid: number; gid: number };
}
interface Fail {
  /** Matched against the single stderr line. */
  error: RegExp;
  /** Index of the layer that must fail: it and the ones above get no snapshot. */
  failingLayer: number;
}

interface Pushed { ref: string; configDiffIds: Digest[] }

describe('pull: hostile layers leave the host untouched', () => {
  let reg: RunningRegistry;
  const { root, cleanup } = tempRoot();
  const snapshotsDir = join(root, 'snapshots');

  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
    cleanup();
    for (const p of made) rmSync(p, { recursive: true, force: true });
  });

  let seq = 0;
  async function push(img: ImageInput): Promise<Pushed> {
    const repo = `hostile/case${++seq}`;
    const pushed = await pushImage(reg.url, repo, 'v1', img);
    return { ref: `${reg.host}/${repo}:v1`, configDiffIds: (img.diffIdsOverride ?? pushed.diffIds) as Digest[] };
  }

  /** Pushes layers as given (any bytes, any media type): for broken compression. */
  async function pushRaw(layers: { blob: Buffer; mediaType: string; diffId: string; size?: number }[], opts: { configSize?: number } = {}): Promise<Pushed> {
    const repo = `hostile/case${++seq}`;
    await pushRawLayers(reg.url, repo, 'v1', layers, opts);
    return { ref: `${reg.host}/${repo}:v1`, configDiffIds: layers.map((x) => x.diffId) as Digest[] };
  }

  function numericSnapshots(): Set<string> {
    if (!existsSync(snapshotsDir)) return new Set();
    return new Set(readdirSync(snapshotsDir).filter((n) => /^\d+$/.test(n)));
  }

  async function listed(ref: string): Promise<boolean> {
    const res = await runCli(['--root', root, 'images', '--format', '{{.Name}}']);
    assert.equal(res.code, 0, res.stderr);
    return res.stdout.split('\n').includes(ref);
  }

  /** Pulls `pushed` and checks the outcome, the host and the store. */
  async function check(o: Outside, pushed: Pushed, expect: Ok | Fail): Promise<void> {
    const hostBefore = describeOutside(o);
    const snapsBefore = numericSnapshots();
    const res = await runCli(['--root', root, 'pull', pushed.ref]);

    // The host first: whatever skiff said, nothing outside changed and nothing appeared.
    assert.equal(describeOutside(o), hostBefore, 'the outside changed');
    for (const p of [o.E, o.R]) assert.equal(existsSync(p), false, `${p} appeared on the host`);
    const rootSt = lstatSync(root);
    assert.equal(rootSt.mode & 0o7777, 0o700, 'the store root is no longer 0700');
    assert.equal(rootSt.uid, 0);
    assert.deepEqual(readdirSync(snapshotsDir).filter((n) => n.startsWith('tmp-') || n.startsWith('trash-')), [], 'a half snapshot was left');

    if ('error' in expect) {
      assert.equal(res.code, 125, `expected a failure, got ${res.code}: ${res.stdout}${res.stderr}`);
      // Progress lines come first on stderr; the error is one line, the last.
      const lines = res.stderr.trimEnd().split('\n');
      const errorLine = lines[lines.length - 1]!;
      assert.deepEqual(lines.filter((x) => x.startsWith('skiff: ')), [errorLine], `not one error line: ${JSON.stringify(res.stderr)}`);
      assert.match(errorLine, expect.error);
      assert.equal(await listed(pushed.ref), false, 'a failed image is listed');
      // Snapshots: only layers below the failing one may have been added, and every new
      // directory is a recorded snapshot of one of them.
      const chains = chainIds(pushed.configDiffIds);
      const store = openStore(root);
      try {
        for (const c of chains.slice(expect.failingLayer)) assert.equal(store.snapshots.get(c), undefined, `snapshot for ${c} exists`);
        const allowed = new Set(chains.slice(0, expect.failingLayer));
        const byId = new Map(store.snapshots.all().map((s) => [String(s.id), s.chainId]));
        for (const n of numericSnapshots()) {
          if (snapsBefore.has(n)) continue;
          const chain = byId.get(n);
          assert.ok(chain !== undefined && allowed.has(chain), `unexpected new snapshot dir ${n} (${chain ?? 'unrecorded'})`);
        }
      } finally {
        store.close();
      }
      return;
    }

    assert.equal(res.code, 0, res.stderr);
    assert.equal(await listed(pushed.ref), true);
    const m = mountImage(root, pushed.ref);
    try {
      assert.deepEqual(asObject(readTree(m.dir)), expect.tree);
      if (expect.root) {
        const st = lstatSync(m.dir);
        assert.deepEqual({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, expect.root);
      }
    } finally {
      m.unmount();
    }
  }

  async function layersCase(o: Outside, layers: TarSpec[][], expect: Ok | Fail): Promise<void> {
    await check(o, await push({ layers: layers.map((entries) => ({ tar: makeTar(entries) })) }), expect);
  }

  // ---- paths ----------------------------------------------------------------------------------

  test('absolute paths land inside the image', async () => {
    const o = makeOutside();
    await layersCase(o, [[
      { path: `${o.S}/victim`, content: 'pwned' },
      { path: `${o.S}/sub/victim2`, content: 'pwned' },
      { path: `${o.S}/sub/`, type: 'dir', mode: 0o777 },
      { path: `${o.O}/planted`, content: 'pwned' },
      { path: `${o.E}/planted`, content: 'pwned' },
      { path: `${o.R}`, content: 'pwned' },
    ]], {
      tree: {
        ...parents(o.Srel),
        [`${o.Srel}/victim`]: f('pwned'),
        [`${o.Srel}/sub`]: d({ mode: 0o777 }),
        [`${o.Srel}/sub/victim2`]: f('pwned'),
        ...parents(o.Orel),
        [`${o.Orel}/planted`]: f('pwned'),
        ...parents(o.Erel),
        [`${o.Erel}/planted`]: f('pwned'),
        [o.Rrel]: f('pwned'),
      },
    });
  });

  test("'..' paths clamp at the image root", async () => {
    const o = makeOutside();
    await layersCase(o, [[
      { path: `${UP}${o.Srel}/victim`, content: 'pwned' },
      { path: `${UP}${o.Srel}/`, type: 'dir', mode: 0o777, uid: 1234 },
      { path: `a/../../${UP}${o.Orel}/planted`, content: 'pwned' },
      { path: `./../${o.Erel}/x/../planted`, content: 'pwned' },
      { path: `..${o.R}`, content: 'pwned' },
      { path: `${o.S}/../../${UP}${o.Rrel}/../${o.Srel}/sub/victim2`, content: 'pwned' },
    ]], {
      tree: {
        ...parents(o.Srel),
        [o.Srel]: d({ mode: 0o777, uid: 1234 }),
        [`${o.Srel}/victim`]: f('pwned'),
        [`${o.Srel}/sub`]: d(),
        [`${o.Srel}/sub/victim2`]: f('pwned'),
        ...parents(o.Orel),
        [`${o.Orel}/planted`]: f('pwned'),
        ...parents(o.Erel),
        [`${o.Erel}/planted`]: f('pwned'),
        [o.Rrel]: f('pwned'),
      },
    });
  });

  // ---- symlinks in parent components ------------------------------------------------------------

  const throughSymlinks = (o: Outside): { links: TarSpec[]; writes: TarSpec[]; tree: Record<string, Node> } => ({
    links: [
      { path: 'evil', type: 'symlink', linkpath: o.S },
      { path: 'rel', type: 'symlink', linkpath: `${UP}${o.Orel}` },
      { path: 'esc', type: 'symlink', linkpath: o.E },
      { path: 'top', type: 'symlink', linkpath: '/' },
      { path: 'up', type: 'symlink', linkpath: UP },
    ],
    writes: [
      { path: 'evil/victim', content: 'pwned' },
      { path: 'evil/sub/victim2', content: 'pwned' },
      { path: 'rel/planted', content: 'pwned' },
      { path: 'esc/planted', content: 'pwned' },
      { path: `top/${o.Rrel}`, content: 'pwned' },
      { path: `up/${o.Srel}/new`, content: 'pwned' },
    ],
    tree: {
      evil: l(o.S),
      rel: l(`${UP}${o.Orel}`),
      esc: l(o.E),
      top: l('/'),
      up: l(UP),
      ...parents(o.Srel),
      [`${o.Srel}/victim`]: f('pwned'),
      [`${o.Srel}/new`]: f('pwned'),
      [`${o.Srel}/sub`]: d(),
      [`${o.Srel}/sub/victim2`]: f('pwned'),
      ...parents(o.Orel),
      [`${o.Orel}/planted`]: f('pwned'),
      ...parents(o.Erel),
      [`${o.Erel}/planted`]: f('pwned'),
      [o.Rrel]: f('pwned'),
    },
  });

  test('a file written through a symlink to an outside dir (same layer) stays inside', async () => {
    const o = makeOutside();
    const c = throughSymlinks(o);
    await layersCase(o, [[...c.links, ...c.writes]], { tree: c.tree });
  });

  test('a file written through a symlink to an outside dir (lower layer) stays inside', async () => {
    const o = makeOutside();
    const c = throughSymlinks(o);
    await layersCase(o, [c.links, c.writes], { tree: c.tree });
  });

  test('directories made through a symlink to an outside dir stay inside', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'evil', type: 'symlink', linkpath: o.S }],
      [
        { path: 'evil/sub/', type: 'dir', mode: 0o777, uid: 1234, gid: 1234 },
        { path: 'evil/sub/deeper/', type: 'dir', mode: 0o777 },
        { path: 'evil/newdir/', type: 'dir', mode: 0o700 },
        { path: 'evil/newdir/f', content: 'pwned' },
      ],
    ], {
      tree: {
        evil: l(o.S),
        ...parents(o.Srel),
        [`${o.Srel}/sub`]: d({ mode: 0o777, uid: 1234, gid: 1234 }),
        [`${o.Srel}/sub/deeper`]: d({ mode: 0o777 }),
        [`${o.Srel}/newdir`]: d({ mode: 0o700 }),
        [`${o.Srel}/newdir/f`]: f('pwned'),
      },
    });
  });

  test('a whiteout through a symlink to an outside dir deletes only inside the image', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [
        { path: `${o.Srel}/victim`, content: 'image victim' },
        { path: `${o.Srel}/keep`, content: 'keep' },
        { path: `${o.Srel}/keep2`, content: 'keep2' },
      ],
      [
        { path: 'evil', type: 'symlink', linkpath: o.S },
        { path: 'out', type: 'symlink', linkpath: o.O },
        { path: 'evil/.wh.victim', content: '' },
        { path: 'evil/.wh.sub', content: '' }, // only the host has sub/
        { path: `${UP}${o.Srel}/.wh.keep2`, content: '' },
        { path: `${o.S}/sub/.wh.victim2`, content: '' },
        { path: 'out/.wh.anything', content: '' },
      ],
    ], {
      tree: {
        evil: l(o.S),
        out: l(o.O),
        ...parents(o.Srel),
        [`${o.Srel}/keep`]: f('keep'),
      },
    });
  });

  test('an opaque whiteout through a symlink to an outside dir marks only the image', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: `${o.Srel}/old`, content: 'old' }, { path: `${o.Srel}/sub/old`, content: 'old' }],
      [
        { path: 'evil', type: 'symlink', linkpath: o.S },
        { path: 'out', type: 'symlink', linkpath: o.O },
        { path: 'evil/.wh..wh..opq', content: '' },
        { path: 'evil/fresh', content: 'fresh' },
        { path: `${UP}${o.Srel}/sub/.wh..wh..opq`, content: '' },
        { path: 'out/.wh..wh..opq', content: '' }, // the image has no such dir: nothing to hide
      ],
    ], {
      tree: {
        evil: l(o.S),
        out: l(o.O),
        ...parents(o.Srel),
        [`${o.Srel}/fresh`]: f('fresh'),
      },
    });
  });

  // ---- hardlinks ------------------------------------------------------------------------------

  test("a hardlink to /etc/passwd links the image's own /etc/passwd, never the host's", async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'etc/passwd', content: 'image passwd' }],
      [
        { path: 'etc/group', content: 'image group' },
        { path: 'h1', type: 'hardlink', linkpath: '/etc/passwd' },
        { path: 'h2', type: 'hardlink', linkpath: `${UP}etc/passwd` },
        { path: 'h3', type: 'hardlink', linkpath: '/etc/group' },
        { path: 'h4', type: 'hardlink', linkpath: `${UP}etc/../../etc/group` },
      ],
    ], {
      tree: {
        etc: d(),
        'etc/passwd': f('image passwd'),
        'etc/group': f('image group', { link: 'etc/group' }),
        h1: f('image passwd'), // copied up from the lower layer
        h2: f('image passwd'),
        h3: f('image group', { link: 'etc/group' }),
        h4: f('image group', { link: 'etc/group' }),
      },
    });
  });

  test('a hardlink to /etc/passwd in an image without one fails', async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'etc/', type: 'dir' }, { path: 'h', type: 'hardlink', linkpath: '/etc/passwd' }]], {
      error: /hardlink "h" points at missing "\/etc\/passwd"/,
      failingLayer: 0,
    });
  });

  test("a hardlink through '..' to an outside file fails when the image has no such file", async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'a/b/', type: 'dir' }, { path: 'a/b/h', type: 'hardlink', linkpath: `${UP}${o.Srel}/victim` }]], {
      error: /hardlink "a\/b\/h" points at missing "(\.\.\/)+tmp\/skiff-sentinel-[^"]+\/victim"/,
      failingLayer: 0,
    });
  });

  test("a hardlink through '..' or a symlink links the image's own file", async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: `${o.Srel}/victim`, content: 'image victim' }],
      [
        { path: 'evil', type: 'symlink', linkpath: o.S },
        { path: 'h1', type: 'hardlink', linkpath: `${UP}${o.Srel}/victim` },
        { path: 'h2', type: 'hardlink', linkpath: 'evil/victim' },
        { path: `${o.Srel}/own`, content: 'own' },
        { path: 'h3', type: 'hardlink', linkpath: `evil/../evil/own` },
      ],
    ], {
      tree: {
        evil: l(o.S),
        h1: f('image victim'),
        h2: f('image victim'),
        h3: f('own', { link: 'h3' }),
        ...parents(o.Srel),
        [`${o.Srel}/victim`]: f('image victim'),
        [`${o.Srel}/own`]: f('own', { link: 'h3' }),
      },
    });
  });

  test("a directory over a lower layer's symlink to the host hides the host (hardlink to its file fails)", async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'd', type: 'symlink', linkpath: o.S }],
      [{ path: 'd/', type: 'dir' }, { path: 'h', type: 'hardlink', linkpath: 'd/victim' }],
    ], { error: /hardlink "h" points at missing "d\/victim"/, failingLayer: 1 });
  });

  test("a directory over a lower layer's symlink to /etc: a hardlink to its passwd fails", async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'hostetc', type: 'symlink', linkpath: '/etc' }],
      [{ path: 'hostetc/', type: 'dir' }, { path: 'h', type: 'hardlink', linkpath: 'hostetc/passwd' }],
    ], { error: /hardlink "h" points at missing "hostetc\/passwd"/, failingLayer: 1 });
  });

  test('a directory over a lower layer\'s symlink to the host: whiteouts and files stay inside', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'd', type: 'symlink', linkpath: o.S }],
      [
        { path: 'd/', type: 'dir', mode: 0o700 },
        { path: 'd/.wh.victim', content: '' },
        { path: 'd/sub/.wh.deeper', content: '' },
        { path: 'd/own', content: 'own' },
        { path: 'h', type: 'hardlink', linkpath: 'd/own' },
        { path: 'd/.wh..wh..opq', content: '' },
      ],
    ], { tree: { d: d({ mode: 0o700 }), 'd/own': f('own', { link: 'd/own' }), h: f('own', { link: 'd/own' }) } });
  });

  test('a path resolved before a symlink appeared is resolved again (no link to or mark on the host)', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'low/sub/', type: 'dir' }],
      [
        { path: `${o.Srel}/sub/victim2`, content: 'image copy' },
        // Entries that look up p/sub and low/sub while they are (or are only in a lower layer)...
        { path: 'p/sub/.wh.x', content: '' },
        { path: 'low/sub/.wh.x', content: '' },
        // ...then p and low become symlinks to the host dir...
        { path: 'p', type: 'symlink', linkpath: o.S },
        { path: 'low', type: 'symlink', linkpath: o.S },
        // ...and entries use p/sub and low/sub again: they must mean <image>/<S>/sub now.
        { path: 'h', type: 'hardlink', linkpath: 'p/sub/victim2' },
        { path: 'p/sub/.wh.deeper', content: '' },
        { path: 'low/sub/.wh.deeper', content: '' },
        { path: 'p/sub/new', content: 'new' },
      ],
    ], {
      tree: {
        h: f('image copy', { link: 'h' }),
        low: l(o.S),
        p: l(o.S),
        ...parents(o.Srel),
        [`${o.Srel}/sub`]: d(),
        [`${o.Srel}/sub/new`]: f('new'),
        [`${o.Srel}/sub/victim2`]: f('image copy', { link: 'h' }),
      },
    });
  });

  test("a directory replacing a lower layer's symlink is where later entries go", async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'target/b/', type: 'dir' }, { path: 'a', type: 'symlink', linkpath: 'target' }],
      [
        { path: 'a/b/f1', content: 'through the symlink' },
        { path: 'a/', type: 'dir', mode: 0o750 },
        { path: 'a/b/f2', content: 'in the new directory' },
      ],
    ], {
      tree: {
        a: d({ mode: 0o750 }),
        'a/b': d(),
        'a/b/f2': f('in the new directory'),
        target: d(),
        'target/b': d(),
        'target/b/f1': f('through the symlink'),
      },
    });
  });

  test('a hardlink to a directory fails', async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'dir/', type: 'dir' }, { path: 'h', type: 'hardlink', linkpath: 'dir' }]], {
      error: /hardlink "h" points at a directory/,
      failingLayer: 0,
    });
  });

  test('a hardlink to the root fails', async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'h', type: 'hardlink', linkpath: `${UP}` }]], { error: /hardlink "h" points at the root/, failingLayer: 0 });
  });

  // ---- swaps, modes, the root ------------------------------------------------------------------

  test('symlink swap: a directory replaced by a symlink to the host, then written through', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'y/', type: 'dir' }, { path: 'y/a', content: 'a' }],
      [
        { path: 'x/', type: 'dir' },
        { path: 'x/a', content: 'a' },
        { path: 'x', type: 'symlink', linkpath: o.S },
        { path: 'x/victim', content: 'pwned' },
        { path: 'x/sub/', type: 'dir', mode: 0o777 },
        { path: 'y', type: 'symlink', linkpath: o.O },
        { path: 'y/planted', content: 'pwned' },
      ],
    ], {
      tree: {
        x: l(o.S),
        y: l(o.O),
        ...parents(o.Srel),
        [`${o.Srel}/victim`]: f('pwned'),
        [`${o.Srel}/sub`]: d({ mode: 0o777 }),
        ...parents(o.Orel),
        [`${o.Orel}/planted`]: f('pwned'),
      },
    });
  });

  test('a directory entry named through a symlink replaces the symlink: outside modes and owners stay', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'evil', type: 'symlink', linkpath: o.S }],
      [
        { path: 'evil/', type: 'dir', mode: 0o777, uid: 1234, gid: 1234 },
        { path: 'evil2', type: 'symlink', linkpath: o.O },
        { path: 'evil2/', type: 'dir', mode: 0o777, uid: 1234, gid: 1234, xattrs: { 'user.pwned': 'yes' } },
        { path: 'evil3', type: 'symlink', linkpath: o.S },
        { path: 'evil3/./', type: 'dir', mode: 0o1777, uid: 4321 },
        { path: 'evil4', type: 'symlink', linkpath: o.S },
        { path: 'evil4/sub/', type: 'dir', mode: 0o777, uid: 1234 },
      ],
    ], {
      tree: {
        evil: d({ mode: 0o777, uid: 1234, gid: 1234 }),
        evil2: d({ mode: 0o777, uid: 1234, gid: 1234 }),
        evil3: d({ mode: 0o1777, uid: 4321 }),
        evil4: l(o.S),
        ...parents(o.Srel),
        [`${o.Srel}/sub`]: d({ mode: 0o777, uid: 1234 }),
      },
    });
  });

  test('root entries change only the snapshot root, never the store root or the host root', async () => {
    const o = makeOutside();
    const snapsMode = existsSync(snapshotsDir) ? lstatSync(snapshotsDir).mode : undefined;
    await layersCase(o, [[
      { path: './', type: 'dir', mode: 0o777, uid: 99 },
      { path: '/', type: 'dir', mode: 0o750, uid: 5 },
      { path: '../', type: 'dir', mode: 0o700, uid: 1234, gid: 1234 },
      { path: 'f', content: 'f' },
      { path: '..', content: 'a file named ..' }, // the root cannot become a file
    ]], { tree: { f: f('f') }, root: { mode: 0o700, uid: 1234, gid: 1234 } });
    if (snapsMode !== undefined) assert.equal(lstatSync(snapshotsDir).mode, snapsMode);
  });

  test("a whiteout of the root ('.wh..') fails", async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'f', content: 'f' }], [{ path: '.wh..', content: '' }]], { error: /invalid whiteout "\.wh\.\."/, failingLayer: 1 });
  });

  test("a whiteout with an empty name ('.wh.') fails", async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'f', content: 'f' }], [{ path: `${UP}.wh.`, content: '' }]], { error: /invalid whiteout "(\.\.\/)+\.wh\."/, failingLayer: 1 });
  });

  test('an opaque root hides the lower layers of the image, and nothing else', async () => {
    const o = makeOutside();
    await layersCase(o, [
      [{ path: 'old', content: 'old' }, { path: 'etc/passwd', content: 'old' }, { path: 'keep/x', content: 'x' }, { path: 'lnk', type: 'symlink', linkpath: o.S }],
      [
        { path: 'etc/own', content: 'own' }, // this layer's, before the marker: stays
        { path: '.wh..wh..opq', content: '' },
        { path: `${UP}.wh..wh..opq`, content: '' },
        { path: 'new', content: 'new' },
        { path: 'keep/y', content: 'y' },
        { path: 'lnk/z', content: 'z' }, // lnk is gone: a plain directory now
      ],
    ], {
      tree: {
        etc: d(),
        'etc/own': f('own'),
        keep: d(),
        'keep/y': f('y'),
        lnk: d(),
        'lnk/z': f('z'),
        new: f('new'),
      },
    });
  });

  // ---- shapes that must fail (or work) clearly -------------------------------------------------

  test('300 nested directories unpack', async () => {
    const o = makeOutside();
    const depth = 300;
    const deep = Array.from({ length: depth }, () => 'd').join('/');
    const tree: Record<string, Node> = {};
    for (let i = 1; i <= depth; i++) tree[Array.from({ length: i }, () => 'd').join('/')] = d();
    tree[`${deep}/leaf`] = f('leaf');
    await layersCase(o, [[{ path: `${deep}/leaf`, content: 'leaf' }]], { tree });
  });

  test('a path longer than the kernel allows fails clearly', async () => {
    const o = makeOutside();
    const deep = Array.from({ length: 1500 }, () => 'dd').join('/');
    await layersCase(o, [[{ path: `${deep}/leaf`, content: 'leaf' }]], { error: /cannot apply layer entry "(dd\/)+.*ENAMETOOLONG/, failingLayer: 0 });
  });

  test('a symlink loop in a parent path fails', async () => {
    const o = makeOutside();
    await layersCase(o, [[
      { path: 'a', type: 'symlink', linkpath: 'b' },
      { path: 'b', type: 'symlink', linkpath: '/a' },
      { path: 'a/x', content: 'x' },
    ]], { error: /too many levels of symbolic links resolving "a\/x"/, failingLayer: 0 });
  });

  test('a file whose parent is a file fails', async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'f', content: 'f' }, { path: 'f/g', content: 'g' }]], { error: /cannot apply "f\/g": \/f is not a directory/, failingLayer: 0 });
  });

  test('a file whose parent is a file in a lower layer fails', async () => {
    const o = makeOutside();
    await layersCase(o, [[{ path: 'f', content: 'f' }], [{ path: 'f/g/h', content: 'g' }]], { error: /cannot apply "f\/g\/h": \/f is not a directory/, failingLayer: 1 });
  });

  // ---- blobs that lie or are broken ------------------------------------------------------------

  test('a layer whose diff_id does not match fails and leaves nothing listed', async () => {
    const o = makeOutside();
    const good = makeTar([{ path: 'good', content: 'good' }]);
    const bad = makeTar([{ path: 'bad', content: 'bad' }]);
    const pushed = await push({ layers: [{ tar: good }, { tar: bad }], diffIdsOverride: [sha256(good), `sha256:${'0'.repeat(64)}`] });
    await check(o, pushed, { error: /layer sha256:[0-9a-f]{64} unpacks to sha256:[0-9a-f]{64}, but the image config says sha256:0{64}/, failingLayer: 1 });
  });

  function bigTar(): Buffer {
    return makeTar([{ path: 'noise', content: randomBytes(256 * 1024) }, { path: 'after', content: 'after' }]);
  }

  test('a truncated gzip layer fails', async () => {
    const o = makeOutside();
    const tar = bigTar();
    const gz = gzipSync(tar);
    const pushed = await pushRaw([{ blob: gz.subarray(0, gz.length - 100), mediaType: MEDIA.ociLayerGzip, diffId: sha256(tar) }]);
    await check(o, pushed, { error: /layer sha256:[0-9a-f]{64} is not valid gzip: unexpected end of file/, failingLayer: 0 });
  });

  test('a corrupt gzip layer fails', async () => {
    const o = makeOutside();
    const tar = bigTar();
    const gz = Buffer.from(gzipSync(tar));
    for (let i = 0; i < 64; i++) gz[Math.floor(gz.length / 2) + i] ^= 0x5a;
    const pushed = await pushRaw([{ blob: gz, mediaType: MEDIA.ociLayerGzip, diffId: sha256(tar) }]);
    await check(o, pushed, { error: /layer sha256:[0-9a-f]{64} is not valid gzip: /, failingLayer: 0 });
  });

  test('a gzip layer that is not gzip at all fails', async () => {
    const o = makeOutside();
    const tar = makeTar([{ path: 'plain', content: 'plain' }]);
    const pushed = await pushRaw([{ blob: tar, mediaType: MEDIA.ociLayerGzip, diffId: sha256(tar) }]);
    await check(o, pushed, { error: /layer sha256:[0-9a-f]{64} is not valid gzip: incorrect header check/, failingLayer: 0 });
  });

  test('a layer larger than its descriptor says fails before it is downloaded', async () => {
    const o = makeOutside();
    const tar = bigTar();
    const pushed = await pushRaw([{ blob: tar, mediaType: MEDIA.ociLayer, diffId: sha256(tar), size: tar.length - 512 }]);
    await check(o, pushed, { error: new RegExp(`blob sha256:[0-9a-f]{64} is ${tar.length} bytes, its descriptor says ${tar.length - 512}$`), failingLayer: 0 });
  });

  test('a layer smaller than its descriptor says fails before it is downloaded', async () => {
    const o = makeOutside();
    const tar = bigTar();
    const pushed = await pushRaw([{ blob: tar, mediaType: MEDIA.ociLayer, diffId: sha256(tar), size: tar.length + 512 }]);
    await check(o, pushed, { error: new RegExp(`blob sha256:[0-9a-f]{64} is ${tar.length} bytes, its descriptor says ${tar.length + 512}$`), failingLayer: 0 });
  });

  test('a config whose size is not its descriptor\'s fails', async () => {
    const o = makeOutside();
    const tar = makeTar([{ path: 'a', content: 'a' }]);
    const pushed = await pushRaw([{ blob: tar, mediaType: MEDIA.ociLayer, diffId: sha256(tar) }], { configSize: 10 });
    await check(o, pushed, { error: /size mismatch for sha256:[0-9a-f]{64}: expected 10 bytes, got \d+/, failingLayer: 0 });
  });

  test("an index entry whose manifest is not the entry's size fails", async () => {
    const o = makeOutside();
    const repo = `hostile/case${++seq}`;
    const img = await pushImage(reg.url, repo, 'inner', { layers: [{ tar: makeTar([{ path: 'a', content: 'a' }]) }] });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociIndex,
        manifests: [{ mediaType: MEDIA.ociManifest, digest: img.manifestDigest, size: img.manifest.length - 1, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    );
    await putManifest(reg.url, repo, 'v1', index, MEDIA.ociIndex);
    const pushed = { ref: `${reg.host}/${repo}:v1`, configDiffIds: img.diffIds as Digest[] };
    await check(o, pushed, { error: new RegExp(`manifest ${img.manifestDigest} is ${img.manifest.length} bytes, its descriptor says ${img.manifest.length - 1}$`), failingLayer: 0 });
  });

  test('garbage after the tar end marker is accepted', async () => {
    const o = makeOutside();
    const tar = Buffer.concat([makeTar([{ path: 'kept', content: 'kept' }]), randomBytes(10_000), Buffer.from(`${o.S}/victim`)]);
    await check(o, await push({ layers: [{ tar }] }), { tree: { kept: f('kept') } });
  });
});
