// image prune, system prune and system df: only what nothing references goes (no image, no
// container, no pull in progress), the numbers df shows match what prune frees, and a pull
// running while prunes run is not broken.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { busyboxLayer } from '../helpers/busybox.js';
import { cliAt, removeAllContainers, spawnCli, tempRoot } from '../helpers/cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar } from '../helpers/tar-writer.js';

interface DfRow { Type: string; TotalCount: number; Active: number; Size: string; Reclaimable: string }

describe('prune and df', () => {
  let reg: RunningRegistry;
  const { root, cleanup } = tempRoot();
  const { sk, ok } = cliAt(root);
  const blobs = () => readdirSync(join(root, 'content', 'blobs', 'sha256')).length;
  const snapshots = () => readdirSync(join(root, 'snapshots')).filter((n) => /^\d+$/.test(n)).length;
  const df = async () => Object.fromEntries((await ok('system', 'df', '--format', 'json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as DfRow).map((r) => [r.Type, r]));
  /** A one-file layer on top of busybox, so that each image has content of its own. */
  const push = (repo: string, tag: string, marker: string) =>
    pushImage(reg.url, repo, tag, { layers: [{ tar: busyboxLayer() }, { tar: makeTar([{ path: 'marker', content: `${marker}\n${randomBytes(2048).toString('hex')}` }]) }], config: { config: { Cmd: ['cat', '/marker'] } } });

  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await removeAllContainers(sk);
    await reg?.stop();
    cleanup();
  });

  test('image prune removes what a retagging pull left, nothing an image uses; df shows it first', async () => {
    await push('p/a', 'v1', 'a-one');
    await push('p/b', 'v1', 'b-one');
    await ok('pull', '-q', `${reg.host}/p/a:v1`);
    await ok('pull', '-q', `${reg.host}/p/b:v1`);
    const clean = await df();
    assert.equal(clean.Images!.TotalCount, 2);
    assert.equal(clean.Images!.Active, 0);
    // The tag moves: the old image's manifest, config and top layer are referenced no more.
    await push('p/a', 'v1', 'a-two');
    await ok('pull', '-q', `${reg.host}/p/a:v1`);
    const [blobsBefore, snapsBefore] = [blobs(), snapshots()];
    assert.notEqual((await df()).Images!.Reclaimable, '0B');

    const asked = await sk('image', 'prune');
    assert.equal(asked.code, 125);
    assert.match(asked.stderr, /WARNING! This will remove all dangling images\.\nAre you sure you want to continue\? \[y\/N\] skiff: not confirmed; nothing removed/);
    assert.equal(blobs(), blobsBefore);

    const pruned = await ok('image', 'prune', '-f');
    assert.match(pruned.stdout, /^Total reclaimed space: [\d.]+kB\n$/);
    assert.equal(blobs(), blobsBefore - 3, 'the old manifest, config and top layer blob');
    assert.equal(snapshots(), snapsBefore - 1, 'the old top layer');
    assert.equal((await ok('run', '--rm', '--network', 'none', `${reg.host}/p/a:v1`)).stdout.split('\n')[0], 'a-two');
    assert.equal((await ok('run', '--rm', '--network', 'none', `${reg.host}/p/b:v1`)).stdout.split('\n')[0], 'b-one');
    assert.equal((await ok('image', 'prune', '-f')).stdout, 'Total reclaimed space: 0B\n');
  });

  test('image prune -a keeps images containers use; system df counts them active', async () => {
    await ok('create', '--name', 'holder', `${reg.host}/p/b:v1`);
    const before = await df();
    assert.equal(before.Images!.Active, 1);
    assert.equal(before.Containers!.TotalCount, 1);
    const out = (await ok('image', 'prune', '-a', '-f')).stdout.split('\n');
    assert.equal(out[0], 'Deleted Images:');
    assert.ok(out.includes(`untagged: ${reg.host}/p/a:v1`), out.join('\n'));
    assert.ok(out.some((l) => /^deleted: sha256:[0-9a-f]{64}$/.test(l)));
    assert.ok(!out.some((l) => l.includes('p/b')), 'the image a container uses stays');
    assert.equal((await ok('images', '--format', '{{.Repository}}')).stdout, `${reg.host}/p/b\n`);
    const after = await df();
    assert.equal(after.Images!.TotalCount, 1);
    assert.equal(after.Images!.Reclaimable, '0B (0%)');
  });

  test('system prune: stopped containers, unused networks, dangling content; -a every unused image', async () => {
    await ok('network', 'create', '--subnet', '10.91.40.0/24', 'idle');
    await ok('run', '--name', 'writer', '--network', 'none', `${reg.host}/p/b:v1`, 'sh', '-c', 'head -c 100000 /dev/zero > /big');
    const table = (await ok('system', 'df')).stdout.split('\n');
    assert.match(table[0]!, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    assert.match(table.find((l) => l.startsWith('Containers'))!, /^Containers\s+2\s+0\s+100kB\s+100kB \(100%\)$/);
    assert.match(table.find((l) => l.startsWith('Local Volumes'))!, /^Local Volumes\s+0\s+0\s+0B\s+0B$/);
    const ids = (await ok('ps', '-aq', '--no-trunc')).stdout.trim().split('\n').sort();
    const pruned = (await ok('system', 'prune', '-f', '--volumes')).stdout.split('\n');
    assert.equal(pruned[0], 'Deleted Containers:');
    assert.deepEqual(pruned.slice(1, 3).sort(), ids);
    assert.ok(pruned.includes('Deleted Networks:') && pruned.includes('idle'), pruned.join('\n'));
    assert.match(pruned.at(-2)!, /^Total reclaimed space: 1\d\dkB$/);
    assert.equal((await ok('ps', '-aq')).stdout, '');
    assert.equal((await ok('images', '-q')).stdout.trim().split('\n').length, 1, 'without -a, tagged images stay');
    const all = (await ok('system', 'prune', '-a', '-f')).stdout;
    assert.match(all, /Deleted Images:\nuntagged: .*p\/b:v1\ndeleted: sha256:/);
    assert.equal((await ok('images', '-q')).stdout, '');
    assert.equal(blobs(), 0);
    assert.equal(snapshots(), 0);
  });

  test('a pull in progress is never broken by prunes running beside it', async () => {
    // A big incompressible layer, so that the pull spends a while downloading and unpacking.
    await pushImage(reg.url, 'p/c', 'v1', {
      layers: [{ tar: busyboxLayer() }, { tar: makeTar([{ path: 'marker', content: 'c-one\n' }, { path: 'big', content: randomBytes(16 << 20).toString('base64') }]) }],
      config: { config: { Cmd: ['cat', '/marker'] } },
    });
    const pull = spawnCli(['--root', root, 'pull', '-q', `${reg.host}/p/c:v1`]);
    let prunes = 0;
    let done = false;
    void pull.done.then(() => (done = true));
    while (!done) {
      await ok('image', 'prune', '-f');
      prunes++;
      // In-process prunes never wait on I/O: let the pull's exit be seen.
      await sleep(5);
    }
    const r = await pull.done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(prunes > 1, `${prunes} prunes ran beside the pull`);
    assert.equal((await ok('run', '--rm', '--network', 'none', `${reg.host}/p/c:v1`)).stdout.split('\n')[0], 'c-one');
  });
});
