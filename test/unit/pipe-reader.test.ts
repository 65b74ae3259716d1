// src/sys/pipe-reader.ts: a child's output read as SIGIO tells of it, without node:net.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { type SpawnedProcess, spawnProcess } from '../../src/sys/spawn.js';

const sh = (script: string) => spawnProcess('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin' } });

function closed(child: SpawnedProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code: number | null) => resolve(code));
  });
}

describe('PipeReader', () => {
  test('more than a pipe holds arrives whole and in order, each stream apart', async () => {
    // 4 MiB on stdout (64 pipe-fulls) and a line on stderr after it.
    const child = sh('head -c 4194304 /dev/urandom | tee /dev/stderr | sha256sum >&2; echo done');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    assert.equal(await closed(child), 0);
    assert.equal(Buffer.concat(out).toString(), 'done\n');
    const errors = Buffer.concat(err);
    const data = errors.subarray(0, 4194304);
    const sum = errors.subarray(4194304).toString().split(' ')[0];
    assert.equal(createHash('sha256').update(data).digest('hex'), sum);
  });

  test('nothing is read before a data listener, and a paused reader leaves the rest in the pipe', async () => {
    const child = sh('echo one; sleep 0.2; echo two; echo three');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const got: string[] = [];
    child.stdout!.on('data', (c: Buffer) => {
      got.push(c.toString());
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), 300);
    });
    child.stderr!.on('data', () => {});
    assert.equal(await closed(child), 0);
    assert.equal(got.join(''), 'one\ntwo\nthree\n');
    assert.equal(got[0], 'one\n', 'what was written before the listener came first, alone');
  });

  test('close waits for a writer that outlives the child', async () => {
    const child = sh('(sleep 0.3; echo late) & echo early');
    let text = '';
    child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr!.on('data', () => {});
    await closed(child);
    assert.equal(text, 'early\nlate\n');
  });

  test('a SIGIO after every reader has ended is harmless', async () => {
    const child = sh('echo x');
    child.stdout!.on('data', () => {});
    child.stderr!.on('data', () => {});
    await closed(child);
    process.kill(process.pid, 'SIGIO');
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  test('a child that prints nothing is run and reaped without loading node:net or node:stream', () => {
    // The reason for the reader: loading them cost every foreground run ~2.6 ms beside runc.
    // (Importing the ES module here loads node:stream, through node:module; the bundle does not.)
    const spawnModule = fileURLToPath(new URL('../../src/sys/spawn.js', import.meta.url));
    const script = `
      const { spawnProcess } = await import(${JSON.stringify(spawnModule)});
      const before = new Set(process.moduleLoadList);
      const child = spawnProcess('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'], env: {} });
      child.stdout.on('data', () => {});
      child.stderr.on('data', () => {});
      const code = await new Promise((resolve) => child.once('close', resolve));
      const loaded = process.moduleLoadList.filter((m) => !before.has(m) && /^NativeModule (net|stream|internal\\/streams\\/.*)$/.test(m));
      console.log(JSON.stringify({ code, loaded, net: process.moduleLoadList.includes('NativeModule net') }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { code: 0, loaded: [], net: false });
  });
});
