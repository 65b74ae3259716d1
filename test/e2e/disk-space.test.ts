// Layers larger than the disk: a gzip "zip bomb" (a 1 GiB file of zeros in a 1 MB blob), a
// layer of more files than the filesystem has inodes, and a blob larger than the space left.
// Each store root here is a small tmpfs, so "the disk" is real and filling it is cheap. Every
// case must stop with one clear line while the filesystem still has its reserve free, leave no
// image, no half snapshot and no ingest file, and leave a store the next pull and run can use.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { constants as zc, gzipSync, createGzip } from 'node:zlib';
import { busyboxLayer } from '../helpers/busybox.js';
import { runCli, tempRoot } from '../helpers/cli.js';
import { MEDIA, pushImage, pushRawLayers, sha256 } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { assertStoreClean } from '../helpers/store-check.js';
import { fileHeader, makeTar } from '../helpers/tar-writer.js';

const MiB = 1024 * 1024;
const TMPFS_SIZE = 48 * MiB;

/** A gzip tar holding one file of `size` zero bytes, built as a stream (never `size` in memory). */
async function zeroBomb(size: number): Promise<{ blob: Buffer; diffId: string }> {
  const gz = createGzip({ level: zc.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => gz.on('end', resolve));
  const hash = createHash('sha256');
  const put = async (b: Buffer) => {
    hash.update(b);
    if (!gz.write(b)) await new Promise((resolve) => gz.once('drain', resolve));
  };
  await put(fileHeader('bomb', size));
  const zeros = Buffer.alloc(MiB);
  for (let n = 0; n < size; n += MiB) await put(zeros);
  await put(Buffer.alloc(1024));
  gz.end();
  await ended;
  return { blob: Buffer.concat(out), diffId: `sha256:${hash.digest('hex')}` };
}

/** A store root whose `sub` directory (the root itself when '') is its own tmpfs of TMPFS_SIZE bytes (and `inodes` inodes when given). */
function tmpfsRoot(inodes?: number, sub = ''): { root: string; cleanup: () => void } {
  const t = tempRoot();
  const at = join(t.root, sub);
  mkdirSync(at, { recursive: true });
  const opts = [`size=${TMPFS_SIZE}`, 'mode=0700', ...(inodes ? [`nr_inodes=${inodes}`] : [])].join(',');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'skiff-test', at], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return t;
}

describe('pull: layers larger than the disk', () => {
  let reg: RunningRegistry;
  let busybox: string;
  const roots: { cleanup: () => void }[] = [];

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'space/busybox', 'v1', { layers: [{ tar: busyboxLayer() }] });
    busybox = `${reg.host}/space/busybox:v1`;
  });
  after(async () => {
    await reg?.stop();
    for (const r of roots) r.cleanup();
  });

  function freshRoot(inodes?: number, sub = ''): string {
    const r = tmpfsRoot(inodes, sub);
    roots.push(r);
    return r.root;
  }

  async function push(name: string, layers: { blob: Buffer; mediaType: string; diffId: string }[]): Promise<string> {
    await pushRawLayers(reg.url, `space/${name}`, 'v1', layers);
    return `${reg.host}/space/${name}:v1`;
  }

  /** The pull fails with one error line matching `error`; nothing of it is kept; the store still works. */
  async function refused(root: string, ref: string, error: RegExp, env: NodeJS.ProcessEnv = {}, disk = root): Promise<void> {
    const res = await runCli(['--root', root, 'pull', ref], env);
    assert.equal(res.code, 125, `expected a failure, got ${res.code}: ${res.stdout}${res.stderr}`);
    const errors = res.stderr.trimEnd().split('\n').filter((l) => l.startsWith('skiff: '));
    assert.equal(errors.length, 1, res.stderr);
    assert.match(errors[0]!, error);
    assert.doesNotMatch(res.stderr, /ENOSPC|no space left/i, 'the disk filled up before skiff stopped');

    const images = await runCli(['--root', root, 'images', '--format', '{{.Name}}']);
    assert.ok(!images.stdout.split('\n').includes(ref), 'a failed pull left an image');
    assert.deepEqual(readdirSync(join(root, 'content', 'ingest')), []);
    assertStoreClean(root);
    const check = await runCli(['--root', root, 'system', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    // What the pull had finished (a verified blob, lower layers) went with it: the disk is not fuller than before.
    assert.doesNotMatch(check.stdout + check.stderr, /unreferenced/, 'the failed pull left content behind');

    // Whatever the failed pull wrote is gone: nearly the whole tmpfs is free again.
    const fs = statfsSync(disk);
    assert.ok(fs.bavail * fs.bsize > TMPFS_SIZE - 8 * MiB, `only ${fs.bavail * fs.bsize} bytes free after the failed pull`);
    const run = await runCli(['--root', root, 'run', '--rm', '--network', 'none', busybox, 'sh', '-c', 'echo still works']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'still works\n');
  }

  test('a zip bomb (1 GiB of zeros in a small gzip blob) stops before the disk is full', async () => {
    const root = freshRoot();
    const bomb = await zeroBomb(1024 * MiB);
    assert.ok(bomb.blob.length < 2 * MiB, `the bomb is ${bomb.blob.length} bytes`);
    const ref = await push('bomb', [{ blob: bomb.blob, mediaType: MEDIA.ociLayerGzip, diffId: bomb.diffId }]);
    await refused(root, ref, /^skiff: layer sha256:[0-9a-f]{64} does not fit in .+: writing on would leave less than the [\d.]+ MB skiff keeps free \(SKIFF_MIN_FREE sets that\)$/);
  });

  test('the reserve is kept on the filesystem written to: snapshots/ on its own small disk', async () => {
    const root = freshRoot(undefined, 'snapshots');
    const bomb = await zeroBomb(256 * MiB);
    const ref = await push('bomb-snapshots', [{ blob: bomb.blob, mediaType: MEDIA.ociLayerGzip, diffId: bomb.diffId }]);
    const snapshots = join(root, 'snapshots');
    await refused(root, ref, new RegExp(`^skiff: layer sha256:[0-9a-f]{64} does not fit in ${snapshots}: writing on would leave less than`), {}, snapshots);
  });

  test('a layer with more files than the filesystem has inodes stops while some are left', async () => {
    const root = freshRoot(3000);
    const entries = Array.from({ length: 6000 }, (_, i) => ({ path: `d${i % 10}/f${i}`, content: '' }));
    const tar = makeTar(entries);
    const ref = await push('inodes', [{ blob: gzipSync(tar), mediaType: MEDIA.ociLayerGzip, diffId: sha256(tar) }]);
    await refused(root, ref, /^skiff: layer sha256:[0-9a-f]{64} does not fit in .+: writing on would leave fewer than the \d+ inodes skiff keeps free/);
    const fs = statfsSync(root);
    assert.ok(fs.ffree > 2000, `only ${fs.ffree} inodes free after the failed pull`);
  });

  test('a blob larger than the space left is refused before it is downloaded', async () => {
    const root = freshRoot();
    const noise = randomBytes(TMPFS_SIZE + 4 * MiB);
    const tar = makeTar([{ path: 'noise', content: noise }]);
    const ref = await push('large', [{ blob: tar, mediaType: MEDIA.ociLayer, diffId: sha256(tar) }]);
    const started = Date.now();
    await refused(root, ref, /^skiff: layer sha256:[0-9a-f]{64} does not fit in .+: writing on would leave less than/);
    assert.ok(Date.now() - started < 20_000);
  });

  test('SKIFF_MIN_FREE sets the reserve: a layer that fits by default is refused under a larger one', async () => {
    const root = freshRoot();
    const tar = makeTar([{ path: 'noise', content: randomBytes(12 * MiB) }]);
    const ref = await push('reserve', [{ blob: gzipSync(tar), mediaType: MEDIA.ociLayerGzip, diffId: sha256(tar) }]);
    await refused(root, ref, /writing on would leave less than the 31\.5 MB skiff keeps free/, { SKIFF_MIN_FREE: '30m' });
    await refused(root, ref, /writing on would leave less than the 37\.7 MB skiff keeps free/, { SKIFF_MIN_FREE: '75%' });
    const ok = await runCli(['--root', root, 'pull', ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(['--root', root, 'pull', busybox], { SKIFF_MIN_FREE: 'lots' });
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'skiff: SKIFF_MIN_FREE=lots is not a size: give bytes, a size like 512m or 2g, or a percentage like 5%\n');
  });
});
