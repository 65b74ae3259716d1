// A killed `run` and many runs at once: `kill -9` of skiff at any point of run, followed by
// `ps -a` and `rm`, leaves no mount, runc state or directory; 20 `run --rm` at once all succeed
// and leave a consistent store.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { busyboxLayer } from '../helpers/busybox.js';
import { runCli, spawnCli, tempRoot } from '../helpers/cli.js';
import { assertNoContainers, processesMentioning } from '../helpers/container-check.js';
import { leasesOf } from '../helpers/net.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { assertStoreClean } from '../helpers/store-check.js';

describe('run under kill -9 and concurrency', () => {
  let reg: RunningRegistry;
  let image: string;
  const { root, cleanup } = tempRoot();
  const cli = (...args: string[]) => runCli(['--root', root, ...args]);

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'crash/busybox', 'latest', { layers: [{ tar: busyboxLayer() }] });
    image = `${reg.host}/crash/busybox:latest`;
    const pulled = await cli('pull', '-q', image);
    assert.equal(pulled.code, 0, pulled.stderr);
  });
  after(async () => {
    await reg?.stop();
    cleanup();
  });

  /** Removes whatever ps -a lists, then checks nothing is left of any container. */
  async function removeAllAndCheck(context: string): Promise<void> {
    const ps = await cli('ps', '-a', '-q', '--no-trunc');
    assert.equal(ps.code, 0, `${context}: ps -a failed: ${ps.stderr}`);
    const ids = ps.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) {
      const rm = await cli('rm', '-f', ...ids);
      assert.equal(rm.code, 0, `${context}: rm -f failed: ${rm.stderr}`);
    }
    assertNoContainers(root);
    assert.deepEqual(ids.flatMap((id) => leasesOf(id)), [], `${context}: address leases left`);
    // An orphaned `runc run` lives until its container is gone; rm -f killed the container.
    for (let i = 0; i < 100 && processesMentioning(root).length > 0; i++) await sleep(50);
    assert.deepEqual(processesMentioning(root), [], `${context}: processes left`);
    assertStoreClean(root);
    const check = await cli('system', 'check');
    assert.equal(check.code, 0, `${context}: system check found damage:\n${check.stdout}`);
  }

  const DELAYS_MS = [0, 40, 80, 120, 160, 200, 260, 350, 500];

  for (const mode of ['foreground --rm', 'detached']) {
    for (const delay of DELAYS_MS) {
      test(`${mode}: kill -9 of skiff after ${delay} ms, then ps -a and rm, leaves nothing`, async () => {
        const args = mode === 'detached' ? ['run', '-d', image, 'sleep', '5'] : ['run', '--rm', image, 'sleep', '5'];
        const { child } = spawnCli(['--root', root, ...args]);
        // 'exit', not 'close': the orphaned runc and the container keep the output pipes open.
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await sleep(delay);
        child.kill('SIGKILL');
        await exited;
        await removeAllAndCheck(`${mode} killed after ${delay} ms`);
      });
    }
  }

  test('kill -9 of exec at several points: the container runs on, and the next exec works and sweeps what they left', async () => {
    const id = (await cli('run', '-d', image, 'sleep', '30')).stdout.trim();
    for (const delay of [0, 30, 60, 100, 150, 250]) {
      const { child } = spawnCli(['--root', root, 'exec', id, 'sh', '-c', 'sleep 5']);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await sleep(delay);
      child.kill('SIGKILL');
      await exited;
    }
    const after = await cli('exec', id, 'echo', 'alive');
    assert.equal(after.stdout, 'alive\n', after.stderr);
    assert.deepEqual(readdirSync(join(root, 'containers', id)).filter((n) => n.startsWith('exec-')), [], 'process specs and logs of killed execs');
    assert.equal((await cli('system', 'check')).code, 0);
    await removeAllAndCheck('after killed execs');
  });

  test('20 run --rm at once all succeed, and the store is consistent afterwards', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => spawnCli(['--root', root, 'run', '--rm', image, 'echo', `run-${i}`]).done);
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
      assert.equal(r.stdout, `run-${i}\n`);
    });
    await removeAllAndCheck('after 20 concurrent runs');
  });

  test('20 run -d at once, then rm -f of all at once', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () => spawnCli(['--root', root, 'run', '-d', image, 'sleep', '30']).done));
    const ids = runs.map((r) => {
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    });
    const ps = await cli('ps', '-q', '--no-trunc');
    assert.deepEqual(new Set(ps.stdout.split('\n').filter(Boolean)), new Set(ids));
    const removals = await Promise.all(ids.map((id) => spawnCli(['--root', root, 'rm', '-f', id]).done));
    for (const r of removals) assert.equal(r.code, 0, r.stderr);
    await removeAllAndCheck('after 20 concurrent rm -f');
  });
});
