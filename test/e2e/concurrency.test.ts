// Commands at once: 10 pulls of images that share layers, and rmi racing run of the same
// image. Every outcome must be one a user can explain, and the store stays consistent.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { busyboxLayer } from '../helpers/busybox.js';
import { runCli, spawnCli, tempRoot } from '../helpers/cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { assertStoreClean } from '../helpers/store-check.js';
import { makeTar } from '../helpers/tar-writer.js';

describe('commands at once', () => {
  let reg: RunningRegistry;
  const { root, cleanup } = tempRoot();
  const cli = (...args: string[]) => runCli(['--root', root, ...args]);
  const shared = makeTar([{ path: 'shared/', type: 'dir' }, ...Array.from({ length: 200 }, (_, i) => ({ path: `shared/f${i}`, content: `shared ${i}\n`.repeat(50) }))]);

  before(async () => {
    reg = await startRegistry();
    for (let i = 0; i < 5; i++) {
      await pushImage(reg.url, `conc/img${i}`, 'v1', {
        layers: [{ tar: busyboxLayer() }, { tar: shared }, { tar: makeTar([{ path: 'own', content: `image ${i}\n` }]) }],
        config: { config: { Cmd: ['cat', '/own'] } },
      });
    }
  });
  after(async () => {
    await reg?.stop();
    cleanup();
  });

  test('10 pulls at once of 5 images sharing two layers: all succeed, each layer stored once', async () => {
    const refs = Array.from({ length: 10 }, (_, i) => `${reg.host}/conc/img${i % 5}:v1`);
    const results = await Promise.all(refs.map((r) => spawnCli(['--root', root, 'pull', '-q', r]).done));
    results.forEach((r, i) => assert.equal(r.code, 0, `pull ${i}: ${r.stderr}`));
    assertStoreClean(root);
    // busybox, the shared layer, and one layer of each image's own.
    const snapshots = (await cli('system', 'df', '--format', '{{.Type}} {{.TotalCount}}')).stdout;
    assert.match(snapshots, /^Images 5$/m);
    for (let i = 0; i < 5; i++) assert.equal((await cli('run', '--rm', '--network', 'none', `${reg.host}/conc/img${i}:v1`)).stdout, `image ${i}\n`);
    assert.equal((await cli('system', 'check')).code, 0);
  });

  test('rmi racing run of the same image: either may win, and the store stays consistent', async (t) => {
    const ref = `${reg.host}/conc/img0:v1`;
    const outcomes = new Set<string>();
    for (let i = 0; i < 10; i++) {
      if ((await cli('images', '-q', ref)).stdout === '') assert.equal((await cli('pull', '-q', ref)).code, 0);
      // rmi starts at a different moment of the run each time: before its create, during, after.
      const runDone = spawnCli(['--root', root, 'run', '--rm', '--pull', 'never', '--network', 'none', ref]).done;
      await sleep(i * 25);
      const [run, rmi] = await Promise.all([runDone, spawnCli(['--root', root, 'rmi', ref]).done]);
      // The run either ran the image or found it gone; rmi either removed it or found it in use.
      if (run.code === 0) assert.equal(run.stdout, 'image 0\n');
      else assert.match(run.stderr, /no such image|not found/i, `run: ${run.stderr}`);
      if (rmi.code !== 0) assert.match(rmi.stderr, /container|in use/i, `rmi: ${rmi.stderr}`);
      outcomes.add(`run ${run.code === 0 ? 'ran' : 'failed'}, rmi ${rmi.code === 0 ? 'removed' : 'refused'}`);
      const check = await cli('system', 'check');
      assert.equal(check.code, 0, check.stdout);
      assert.equal((await cli('ps', '-aq')).stdout, '', '--rm left nothing');
    }
    t.diagnostic(`outcomes seen: ${[...outcomes].join('; ')}`);
    assertStoreClean(root);
  });

  test('ps beside 10 creates never takes a container being created for a half-removed one', async () => {
    const ref = `${reg.host}/conc/img1:v1`;
    if ((await cli('images', '-q', ref)).stdout === '') assert.equal((await cli('pull', '-q', ref)).code, 0);
    const creates = Array.from({ length: 10 }, (_, i) => spawnCli(['--root', root, 'create', '--network', 'none', '--name', `made${i}`, ref]).done);
    let done = false;
    void Promise.all(creates).then(() => (done = true));
    while (!done) {
      // Each ps sweeps container directories without a record.
      assert.equal((await spawnCli(['--root', root, 'ps', '-a']).done).code, 0);
    }
    for (const r of await Promise.all(creates)) assert.equal(r.code, 0, r.stderr);
    const names = (await cli('ps', '-a', '--format', '{{.Names}}')).stdout.trim().split('\n').sort();
    assert.deepEqual(names, Array.from({ length: 10 }, (_, i) => `made${i}`).sort());
    for (const n of names) assert.equal((await cli('start', '-a', n)).stdout, 'image 1\n', `${n} still has its files`);
    assert.equal((await cli('rm', ...names)).code, 0);
  });
});
