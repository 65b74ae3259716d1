// system check: a sound store is reported consistent; each kind of damage a crash or a
// careless hand can leave is found (exit 1), --repair fixes it, and the next commands work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxLayer } from '../helpers/busybox.js';
import { cliAt, removeAllContainers, tempRoot } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/container-check.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar } from '../helpers/tar-writer.js';
import { openStore } from '../../src/store/store.js';

describe('system check', () => {
  let reg: RunningRegistry;
  let a: string;
  let b: string;
  const { root, cleanup } = tempRoot();
  const { sk, ok } = cliAt(root);

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'chk/a', 'v1', { layers: [{ tar: busyboxLayer() }] });
    await pushImage(reg.url, 'chk/b', 'v1', { layers: [{ tar: busyboxLayer() }, { tar: makeTar([{ path: 'b', content: 'b' }]) }] });
    a = `${reg.host}/chk/a:v1`;
    b = `${reg.host}/chk/b:v1`;
    await ok('pull', '-q', a);
    await ok('pull', '-q', b);
  });
  after(async () => {
    await removeAllContainers(sk);
    await reg?.stop();
    cleanup();
  });

  test('a sound store is consistent, exit 0', async () => {
    await ok('create', '--name', 'kept', '--network', 'none', a, 'true');
    await ok('run', '--rm', '--network', 'none', a, 'true');
    const r = await ok('system', 'check');
    assert.equal(r.stdout, 'the store is consistent\n');
  });

  test('damage of every kind is found, --repair fixes it, and the store works after', async () => {
    // b's top layer loses its directory; a stray snapshot directory appears.
    const snaps = readdirSync(join(root, 'snapshots')).filter((n) => /^\d+$/.test(n)).map(Number).sort((x, y) => x - y);
    rmSync(join(root, 'snapshots', String(snaps.at(-1))), { recursive: true });
    mkdirSync(join(root, 'snapshots', '999'));
    // A container directory nobody records, its root still mounted; a record whose directory is gone.
    const stray = join(root, 'containers', 'f'.repeat(64));
    mkdirSync(join(stray, 'rootfs'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(stray, 'rootfs')]);
    const kept = (await ok('inspect', '-f', '{{.Id}}', 'kept')).stdout.trim();
    execFileSync('umount', [join(root, 'containers', kept, 'rootfs')]);
    rmSync(join(root, 'containers', kept), { recursive: true });
    // A namespace file of no container.
    mkdirSync(join(root, 'run', 'netns'), { recursive: true });
    writeFileSync(join(root, 'run', 'netns', '0123456789abcdef'), '');

    const found = await sk('system', 'check');
    assert.equal(found.code, 1);
    const kinds = found.stdout.split('\n').filter((l) => l.startsWith('problem: ')).map((l) => l.split(':')[1]!.trim()).sort();
    assert.deepEqual(kinds, ['container-files-missing', 'container-orphan', 'image-incomplete', 'mount-leaked', 'netns-orphan', 'snapshot-missing', 'snapshot-orphan']);
    assert.match(found.stdout, /^problem: image-incomplete: image .*chk\/b:v1 lacks its layer sha256:[0-9a-f]{64}; repair removes the name \(pull it again\)$/m);
    assert.match(found.stdout, /7 problems found; run skiff system check --repair to fix them\n$/);

    const fixed = await ok('system', 'check', '--repair');
    assert.match(fixed.stdout, /7 problems repaired; the store is consistent\n$/);
    // The removed image's blobs are garbage now, which check notes and prune frees.
    assert.equal((await ok('system', 'check')).stdout, 'note: unreferenced-content: 3 blobs no image references (image prune frees them)\nthe store is consistent\n');
    await ok('image', 'prune', '-f');
    assert.equal((await ok('system', 'check')).stdout, 'the store is consistent\n');
    assert.deepEqual(mountsUnder(root), []);
    assert.equal((await ok('ps', '-aq')).stdout, '', 'the record without files is gone');
    assert.equal((await ok('images', '--format', '{{.Repository}}')).stdout, `${reg.host}/chk/a\n`);
    await ok('pull', '-q', b);
    assert.equal((await ok('run', '--rm', '--network', 'none', b, 'cat', '/b')).stdout, 'b');
  });

  test('a removal killed after the record went: the next ps finishes it (mount, directory, network)', async () => {
    const id = (await ok('run', '-d', a, 'sleep', '30')).stdout.trim();
    await ok('kill', id);
    await ok('wait', id);
    // rm gets as far as deleting the record, then dies (its root is even still mounted here).
    const store = openStore(root);
    try {
      store.containers.delete(id);
    } finally {
      store.close();
    }
    assert.ok(existsSync(join(root, 'containers', id)));
    assert.equal((await ok('ps', '-aq')).stdout, '');
    assert.ok(!existsSync(join(root, 'containers', id)), 'the next ps removed the directory');
    assert.deepEqual(mountsUnder(join(root, 'containers')), []);
    assert.equal((await ok('system', 'check')).code, 0);
  });
});
