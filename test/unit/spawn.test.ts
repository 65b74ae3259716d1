// src/sys/spawn.ts: posix_spawn with the guarantees Node's own spawn gives a child: fds 0-2 as
// asked (libuv marks this process's own close-on-exec), every signal at its default and none
// blocked, no other fd of ours, its end reported as code or signal, and no thread held while
// it runs.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type SpawnedProcess, type Stdio, spawnProcess } from '../../src/sys/spawn.js';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: SpawnedProcess): Promise<Ended> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal, stdout, stderr }));
  });
}

const PIPES: Stdio = ['ignore', 'pipe', 'pipe'];
const sh = (script: string, stdio: Stdio = PIPES, env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin' }) => spawnProcess('/bin/sh', ['-c', script], { stdio, env });

describe('spawnProcess', () => {
  test('pipes stdout and stderr apart, and reports the exit code', async () => {
    const r = await collect(sh('echo out; echo err >&2; exit 3'));
    assert.deepEqual(r, { code: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
  });

  test('reports a signal that ended the child, and kill() sends one', async () => {
    const child = sh('sleep 30');
    const ended = collect(child);
    assert.equal(child.kill('SIGTERM'), true);
    const r = await ended;
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(child.kill('SIGTERM'), false, 'a reaped child is never signalled: its pid may be reused');
  });

  test('gives the child the environment asked for, and no other', async () => {
    const r = await collect(sh('env | sort', PIPES, { PATH: '/usr/bin:/bin', ONLY: 'this', UNSET: undefined }));
    assert.deepEqual(r.stdout.trim().split('\n').filter((l) => !/^(PWD|SHLVL|_)=/.test(l)), ['ONLY=this', 'PATH=/usr/bin:/bin']);
  });

  test('every signal at its default and none blocked, though Node ignores SIGPIPE', async () => {
    const r = await collect(sh('grep -E "^Sig(Ign|Blk)" /proc/self/status'));
    assert.equal(r.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  test("'ignore' is /dev/null; 'inherit' is this process's fd though it is close-on-exec; ours do not leak", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-spawn-'));
    const mine = join(dir, 'open-here');
    writeFileSync(mine, '');
    const fd = openSync(mine, 'r');
    try {
      const r = await collect(sh('for f in /proc/self/fd/*; do echo "${f##*/} $(readlink $f)"; done', ['ignore', 'pipe', 'inherit']));
      const fds = new Map(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
      assert.equal(fds.get('0'), '/dev/null');
      assert.match(fds.get('1') ?? '', /^pipe:/);
      assert.ok(fds.has('2'), 'stderr inherited');
      assert.ok(![...fds.values()].includes(mine), r.stdout);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a 'pipe' stdin carries what this process writes", async () => {
    const child = spawnProcess('/bin/cat', [], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    const ended = collect(child);
    child.stdin!.end('through the pipe\n');
    assert.deepEqual(await ended, { code: 0, signal: null, stdout: 'through the pipe\n', stderr: '' });
  });

  test('a program that cannot be run throws at once, as a Node error', () => {
    assert.throws(() => spawnProcess('/nonexistent/program', [], { stdio: PIPES, env: {} }), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    const dir = mkdtempSync(join(tmpdir(), 'skiff-spawn-'));
    try {
      writeFileSync(join(dir, 'not-executable'), 'echo no\n', { mode: 0o644 });
      assert.throws(() => spawnProcess(join(dir, 'not-executable'), [], { stdio: PIPES, env: {} }), (err: NodeJS.ErrnoException) => err.code === 'EACCES');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("waiting children hold none of libuv's pool threads: file reads go on beside six of them", async () => {
    const children = Array.from({ length: 6 }, () => sh('sleep 1'));
    const ended = Promise.all(children.map(collect));
    const t = Date.now();
    await readFile('/proc/self/status');
    assert.ok(Date.now() - t < 500, `a read waited ${Date.now() - t} ms`);
    assert.deepEqual((await ended).map((r) => r.code), [0, 0, 0, 0, 0, 0]);
  });

  test('many children at once are each reaped with their own status', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => collect(sh(`exit ${i}`))));
    assert.deepEqual(
      all.map((r) => r.code),
      Array.from({ length: 12 }, (_, i) => i),
    );
  });
});
