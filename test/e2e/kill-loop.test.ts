// 200 operations of every kind — pull, run, run -d, create, start, stop, rm, rmi, prune —
// each killed with SIGKILL at a random moment (or left to finish), in a seeded order. After
// each, the next command runs, and `system check` must find nothing to repair that the next
// command did not already handle; at the end everything is removed and the store is clean.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { busyboxLayer } from '../helpers/busybox.js';
import { runCli, spawnCli, tempRoot } from '../helpers/cli.js';
import { assertNoContainers } from '../helpers/container-check.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { assertStoreClean } from '../helpers/store-check.js';
import { makeTar } from '../helpers/tar-writer.js';

const ROUNDS = Number(process.env.SKIFF_KILL_ROUNDS ?? 200);

/** A small deterministic generator (mulberry32): the same seed replays the same sequence. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('200 randomly killed operations', () => {
  let reg: RunningRegistry;
  const images: string[] = [];
  const { root, cleanup } = tempRoot();
  const cli = (...args: string[]) => runCli(['--root', root, ...args]);

  before(async () => {
    reg = await startRegistry();
    for (const [i, size] of [1 << 10, 4 << 20, 8 << 20].entries()) {
      await pushImage(reg.url, `kill/img${i}`, 'v1', {
        layers: [{ tar: busyboxLayer() }, { tar: makeTar([{ path: 'payload', content: randomBytes(size).toString('base64') }]) }],
        config: { config: { Cmd: ['sleep', '5'] } },
      });
      images.push(`${reg.host}/kill/img${i}:v1`);
    }
  });
  after(async () => {
    await reg?.stop();
    cleanup();
  });

  test(`${ROUNDS} operations, each maybe killed; system check stays clean`, { timeout: 15 * 60_000 }, async (t) => {
    const seed = Number(process.env.SKIFF_KILL_SEED ?? 20261128);
    const rnd = random(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const names = ['k0', 'k1', 'k2', 'k3'];
    const ops: ((img: string, name: string) => string[])[] = [
      (img) => ['pull', '-q', img],
      (img) => ['run', '--rm', img, 'true'],
      (img, name) => ['run', '-d', '--name', name, img, 'sleep', '5'],
      (img, name) => ['create', '--name', name, img],
      (_i, name) => ['start', name],
      (_i, name) => ['stop', '-t', '0', name],
      (_i, name) => ['rm', '-f', name],
      (img) => ['rmi', '-f', img],
      () => ['image', 'prune', '-f'],
      () => ['container', 'prune', '-f'],
    ];
    const log: string[] = [];
    let killedMidway = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const args = pick(ops)(pick(images), pick(names));
      const killAfter = rnd() < 0.75 ? Math.floor(rnd() * 300) : undefined;
      const { child, done } = spawnCli(['--root', root, ...args]);
      if (killAfter !== undefined) {
        await sleep(killAfter);
        child.kill('SIGKILL');
      }
      const r = await done;
      // spawnCli reports death by signal as 128: the kill landed before the command finished.
      if (r.code === 128) killedMidway++;
      log.push(`${i}: ${args.join(' ')}${killAfter !== undefined ? ` (kill -9 at ${killAfter} ms)` : ''} -> ${r.code}`);
      // The next command: it sweeps and hands back what the dead one left.
      const ps = await cli('ps', '-a');
      assert.equal(ps.code, 0, `${log.at(-1)}\nps -a: ${ps.stderr}`);
      const check = await cli('system', 'check');
      assert.equal(check.code, 0, `seed ${seed}, after:\n${log.slice(-5).join('\n')}\nsystem check:\n${check.stdout}`);
    }
    t.diagnostic(`${killedMidway} of ${ROUNDS} operations were killed before they finished (seed ${seed})`);
    assert.ok(killedMidway > ROUNDS / 5, 'a good share of the kills must land mid-operation');
    const ids = (await cli('ps', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) assert.equal((await cli('rm', '-f', ...ids)).code, 0);
    assert.equal((await cli('system', 'prune', '-a', '-f')).code, 0);
    assertNoContainers(root);
    assertStoreClean(root);
    assert.equal((await cli('system', 'check')).stdout, 'the store is consistent\n');
  });
});
