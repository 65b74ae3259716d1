// A killed pull leaves a store the next command can use; concurrent pulls of one image both
// succeed and store one copy; rmi frees exactly what nothing else uses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, spawnCli, tempRoot } from '../helpers/cli.js';
import { pushImage, type ImageInput } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { assertStoreClean } from '../helpers/store-check.js';
import { makeTar, type TarSpec } from '../helpers/tar-writer.js';

/** A few thousand files, partly compressible, so a pull takes long enough to be killed mid-way. */
function bigLayer(seed: number, files: number): Buffer {
  const entries: TarSpec[] = [];
  const noise = randomBytes(64 * 1024);
  for (let i = 0; i < files; i++) {
    const size = 2000 + ((i * 7919 + seed) % 30000);
    const start = (i * 131) % (noise.length - size);
    entries.push({ path: `data${seed}/d${i % 50}/f${i}`, content: Buffer.concat([Buffer.from(`${seed}:${i}\n`), noise.subarray(start, start + size)]) });
  }
  return makeTar(entries);
}

describe('pull under kill -9 and concurrency', () => {
  let reg: RunningRegistry;
  let image: ImageInput;
  let ref: string;
  const roots: (() => void)[] = [];

  before(async () => {
    reg = await startRegistry();
    image = { layers: [{ tar: bigLayer(1, 1500), compression: 'gzip' }, { tar: bigLayer(2, 1500), compression: 'gzip' }, { tar: bigLayer(3, 300), compression: 'none' }] };
    await pushImage(reg.url, 'crash/big', 'v1', image);
    ref = `${reg.host}/crash/big:v1`;
  });
  after(async () => {
    await reg?.stop();
    for (const c of roots) c();
  });

  test('kill -9 at several points of a pull, then the same pull succeeds and the store is clean', async () => {
    const { root, cleanup } = tempRoot();
    roots.push(cleanup);
    for (const delayMs of [30, 120, 250, 400, 600, 900]) {
      const { child, done } = spawnCli(['--root', root, 'pull', '-q', ref]);
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await done;
      // The next command sweeps what the dead one left, whatever stage it died in.
      const listed = await runCli(['--root', root, 'images', '-q']);
      assert.equal(listed.code, 0, listed.stderr);
      assertStoreClean(root);
      // What the killed pull left is garbage at most (blobs it finished), never damage.
      const check = await runCli(['--root', root, 'system', 'check']);
      assert.equal(check.code, 0, `killed after ${delayMs} ms: system check found damage:\n${check.stdout}`);
    }
    const res = await runCli(['--root', root, 'pull', '-q', ref]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), ref);
    assertStoreClean(root);
    const rows = (await runCli(['--root', root, 'images', '--format', '{{.Name}}'])).stdout.trim().split('\n');
    assert.deepEqual(rows, [ref]);
  });

  test('two pulls of one image at once both succeed and store one copy', async () => {
    const { root, cleanup } = tempRoot();
    roots.push(cleanup);
    const a = spawnCli(['--root', root, 'pull', '-q', ref]);
    const b = spawnCli(['--root', root, 'pull', '-q', ref]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assertStoreClean(root);
    assert.equal(readdirSync(join(root, 'snapshots')).length, 3, 'one snapshot per layer');
    // 3 layers + config + manifest
    assert.equal(readdirSync(join(root, 'content', 'blobs', 'sha256')).length, 5);
  });

  test('a snapshot directory left by a commit that was killed before it committed does not block the id', async () => {
    const { root, cleanup } = tempRoot();
    roots.push(cleanup);
    assert.equal((await runCli(['--root', root, 'images'])).code, 0);
    // SQLite hands a rolled-back id out again; the directory renamed to it survived the kill.
    mkdirSync(join(root, 'snapshots', '1'));
    writeFileSync(join(root, 'snapshots', '1', 'junk'), 'left behind');
    await pushImage(reg.url, 'crash/small', 'v1', { layers: [{ tar: makeTar([{ path: 'fresh', content: 'new' }]) }] });
    const res = await runCli(['--root', root, 'pull', '-q', `${reg.host}/crash/small:v1`]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(readdirSync(join(root, 'snapshots', '1')), ['fresh']);
    assert.equal((await runCli(['--root', root, 'images', '-q'])).code, 0);
    assertStoreClean(root);
  });

  test('rmi frees blobs and snapshots nothing else uses, and keeps shared ones', async () => {
    const { root, cleanup } = tempRoot();
    roots.push(cleanup);
    const shared = makeTar([{ path: 'shared', content: 'base' }]);
    await pushImage(reg.url, 'gc/one', 'v1', { layers: [{ tar: shared, compression: 'gzip' }, { tar: makeTar([{ path: 'one', content: '1' }]), compression: 'gzip' }] });
    await pushImage(reg.url, 'gc/two', 'v1', { layers: [{ tar: shared, compression: 'gzip' }, { tar: makeTar([{ path: 'two', content: '2' }]), compression: 'gzip' }] });
    for (const r of ['gc/one:v1', 'gc/two:v1']) assert.equal((await runCli(['--root', root, 'pull', '-q', `${reg.host}/${r}`])).code, 0);
    assert.equal(readdirSync(join(root, 'snapshots')).length, 3);
    const tag = await runCli(['--root', root, 'tag', `${reg.host}/gc/one:v1`, 'local/one:alias']);
    assert.equal(tag.code, 0, tag.stderr);
    let res = await runCli(['--root', root, 'rmi', `${reg.host}/gc/one:v1`]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `Untagged: ${reg.host}/gc/one:v1\n`, 'still named local/one:alias, so nothing deleted');
    assert.equal(readdirSync(join(root, 'snapshots')).length, 3);
    res = await runCli(['--root', root, 'rmi', 'local/one:alias']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^Untagged: docker\.io\/local\/one:alias\nDeleted: sha256:[a-f0-9]{64}\n$/);
    assert.equal(readdirSync(join(root, 'snapshots')).length, 2, 'the shared base layer stays');
    assertStoreClean(root);
    res = await runCli(['--root', root, 'rmi', 'nope:missing']);
    assert.equal(res.code, 125);
    assert.equal(res.stderr, 'skiff: no such image: nope:missing\n');
    res = await runCli(['--root', root, 'rmi', '-f', 'nope:missing']);
    assert.equal(res.code, 0);
    res = await runCli(['--root', root, 'rmi', `${reg.host}/gc/two:v1`]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(readdirSync(join(root, 'snapshots')), []);
    assert.deepEqual(readdirSync(join(root, 'content', 'blobs', 'sha256')), []);
  });
});
