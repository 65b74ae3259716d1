// What pull, images and rmi print: plain lines off a terminal, an ora spinner on one, nothing
// but the reference with -q, and the images table, JSON and template formats.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { SKIFF_BIN, runCli, tempRoot } from '../helpers/cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar } from '../helpers/tar-writer.js';

/** Runs the CLI with stderr posing as a terminal of the given width. */
async function runOnTty(args: string[], columns: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // What ora uses of a tty.WriteStream, writing the escape sequences a terminal would get.
  Object.assign(stderr, {
    isTTY: true,
    columns,
    rows: 24,
    cursorTo: (x: number) => stderr.write(`\x1b[${x + 1}G`),
    moveCursor: (dx: number, dy: number) => stderr.write(dy < 0 ? `\x1b[${-dy}A` : dy > 0 ? `\x1b[${dy}B` : '') || dx === 0,
    clearLine: () => stderr.write('\x1b[2K'),
    clearScreenDown: () => stderr.write('\x1b[0J'),
  });
  let o = '';
  let e = '';
  stdout.on('data', (c) => (o += c));
  stderr.on('data', (c) => (e += c));
  const code = await main(args, { stdout, stderr, env: { PATH: process.env.PATH, TERM: 'xterm' } });
  return { code, stdout: o, stderr: e };
}

describe('pull and images output', () => {
  let reg: RunningRegistry;
  let ref: string;
  const { root, cleanup } = tempRoot();

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'out/app', 'v1', {
      layers: [{ tar: makeTar([{ path: 'a', content: 'a' }]) }, { tar: makeTar([{ path: 'b', content: 'b' }]) }],
      config: { created: '2020-01-02T03:04:05Z' },
    });
    ref = `${reg.host}/out/app:v1`;
  });
  after(async () => {
    await reg?.stop();
    cleanup();
  });

  test('off a terminal: one line per layer state on stderr, digest and reference on stdout', async () => {
    const res = await runCli(['--root', root, 'pull', ref]);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stderr.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^${ref.replace(/[.]/g, '\\.')}: resolved to sha256:[a-f0-9]{64} \\(linux/\\w+, 2 layers\\)$`));
    assert.equal(lines.filter((l) => / done$/.test(l)).length, 2);
    assert.ok(!/\x1b\[/.test(res.stderr), 'no escape sequences off a terminal');
    assert.match(res.stdout, /^Digest: sha256:[a-f0-9]{64}\n/);
    assert.equal(res.stdout.trim().split('\n')[1], ref);
  });

  test('-q prints the reference only, and nothing on stderr', async () => {
    const res = await runCli(['--root', root, 'pull', '-q', ref]);
    assert.equal(res.code, 0);
    assert.equal(res.stdout, `${ref}\n`);
    assert.equal(res.stderr, '');
  });

  test('on a terminal: an animated spinner listing the layers', async () => {
    const { root: r2, cleanup: c2 } = tempRoot();
    try {
      const res = await runOnTty(['--root', r2, 'pull', ref], 80);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /✔ pulled/);
      assert.match(res.stderr, /[a-f0-9]{12}: done/);
    } finally {
      c2();
    }
  });

  test('on a real terminal, through the installed launcher (the bundle): the spinner draws', () => {
    // The bundled build loads ora its own way; only a real pty and bin/skiff exercise that.
    const { root: r4, cleanup: c4 } = tempRoot();
    try {
      const cmd = `stty cols 100 rows 30; ${process.execPath} ${SKIFF_BIN} --root ${r4} pull ${ref}`;
      const res = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
      assert.equal(res.status, 0, res.stdout);
      assert.match(res.stdout, /✔ pulled/);
      assert.match(res.stdout, /\x1b\[/, 'escape sequences: it animated');
    } finally {
      c4();
    }
  });

  test('on a real terminal, a pull that fails part-way in run, create or pull stops its spinner and exits', async () => {
    // The spinner's timer keeps a process alive until it is stopped: a pull that failed after
    // its progress began once left `run` drawing forever.
    await pushImage(reg.url, 'out/broken', 'v1', { layers: [{ tar: makeTar([{ path: 'a', content: 'a' }]) }], diffIdsOverride: [`sha256:${'0'.repeat(64)}`] });
    const broken = `${reg.host}/out/broken:v1`;
    for (const args of [['run', '--rm', '--network', 'none', broken, 'true'], ['create', broken, 'true'], ['pull', broken]]) {
      const { root: r5, cleanup: c5 } = tempRoot();
      try {
        const cmd = `stty cols 100 rows 30; ${process.execPath} ${SKIFF_BIN} --root ${r5} ${args.join(' ')}; echo "exit=$?"`;
        const res = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' }, timeout: 30_000 });
        assert.equal(res.signal, null, `${args[0]} did not exit: ${res.stdout}`);
        assert.match(res.stdout, /unpacks to sha256:[0-9a-f]{64}, but the image config says sha256:0{64}/);
        assert.match(res.stdout, /exit=125/);
      } finally {
        c5();
      }
    }
  });

  test('a terminal that reports no width gets plain lines (ora cannot redraw there)', async () => {
    const { root: r3, cleanup: c3 } = tempRoot();
    try {
      const res = await runOnTty(['--root', r3, 'pull', ref], 0);
      assert.equal(res.code, 0, res.stderr);
      assert.ok(res.stderr.length < 2000, `bounded output, got ${res.stderr.length} bytes`);
      assert.match(res.stderr, /: done\n/);
    } finally {
      c3();
    }
  });

  test('images: table, -q, --no-trunc, --digests, json, template, repository filter', async () => {
    let res = await runCli(['--root', root, 'images']);
    assert.equal(res.code, 0);
    const [head, row] = res.stdout.trimEnd().split('\n');
    assert.match(head!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+PLATFORM\s+SIZE\s+BLOB SIZE$/);
    assert.match(row!, new RegExp(`^${reg.host}/out/app\\s+v1\\s+[a-f0-9]{12}\\s+\\d+ years ago\\s+linux/\\w+\\s+2B\\s+\\d+(\\.\\d+)?kB$`));
    res = await runCli(['--root', root, 'images', '-q']);
    assert.match(res.stdout, /^[a-f0-9]{12}\n$/);
    res = await runCli(['--root', root, 'images', '-q', '--no-trunc']);
    assert.match(res.stdout, /^sha256:[a-f0-9]{64}\n$/);
    res = await runCli(['--root', root, 'images', '--digests']);
    assert.match(res.stdout.split('\n')[0]!, /TAG\s+DIGEST\s+IMAGE ID/);
    res = await runCli(['--root', root, 'images', '--format', 'json']);
    const obj = JSON.parse(res.stdout.trim()) as Record<string, string>;
    assert.equal(obj.Repository, `${reg.host}/out/app`);
    assert.equal(obj.Tag, 'v1');
    assert.equal(obj.CreatedAt, '2020-01-02T03:04:05Z');
    res = await runCli(['--root', root, 'images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(res.stdout, `${ref}\n`);
    res = await runCli(['--root', root, 'images', '--format', 'table {{.Tag}}\\t{{.Size}}']);
    assert.equal(res.stdout, 'TAG\tSIZE\nv1\t2B\n');
    res = await runCli(['--root', root, 'images', 'busybox']);
    assert.equal(res.stdout.trim().split('\n').length, 1, 'header only');
    res = await runCli(['--root', root, 'images', '--format', '{{.Nope']);
    assert.equal(res.code, 0, 'an unclosed action is literal text, as Go prints it');
    res = await runCli(['--root', root, 'images', '--format', '{{range .}}x{{end}}']);
    assert.equal(res.code, 125);
    assert.match(res.stderr, /^skiff: unsupported template action/);
  });

  test('SKIFF_ROOT selects the store; --debug adds the stack to an error', async () => {
    let res = await runCli(['images', '--format', '{{.Repository}}:{{.Tag}}'], { SKIFF_ROOT: root });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`${reg.host}/out/app:v1`));
    res = await runCli(['--root', root, 'pull', `${reg.host}/out/missing:v1`]);
    assert.equal(res.code, 125);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.match(res.stderr, /^skiff: out\/missing: not found in registry/);
    res = await runCli(['--debug', '--root', root, 'pull', `${reg.host}/out/missing:v1`]);
    assert.equal(res.code, 125);
    assert.match(res.stderr, /^skiff: out\/missing: not found in registry.*\nSkiffError: .*\n\s+at /s);
  });

  test('image inspect and tag', async () => {
    let res = await runCli(['--root', root, 'tag', ref, 'local/app:latest']);
    assert.equal(res.code, 0, res.stderr);
    res = await runCli(['--root', root, 'image', 'inspect', 'local/app']);
    const [info] = JSON.parse(res.stdout) as { Id: string; RepoTags: string[]; Created: string; RootFS: { Layers: string[] } }[];
    assert.deepEqual(info!.RepoTags.sort(), [ref, 'docker.io/local/app:latest'].sort());
    assert.equal(info!.RootFS.Layers.length, 2);
    res = await runCli(['--root', root, 'image', 'inspect', '--format', '{{.Created}}', info!.Id.slice(7, 19)]);
    assert.equal(res.stdout, '2020-01-02T03:04:05Z\n');
    res = await runCli(['--root', root, 'image', 'inspect', 'nope']);
    assert.equal(res.code, 125);
    assert.equal(res.stderr, 'skiff: no such image: nope\n');
    assert.equal(res.stdout, '[]\n');
    res = await runCli(['--root', root, 'image', 'inspect', '--format', '{{.Id}}', 'nope', 'local/app']);
    assert.equal(res.code, 125, 'a missing name fails the command');
    assert.equal(res.stdout, `${info!.Id}\n`, 'the names that exist are still shown');
    assert.equal(res.stderr, 'skiff: no such image: nope\n');
    res = await runCli(['--root', root, 'tag', 'nope', 'x']);
    assert.equal(res.stderr, 'skiff: no such image: nope\n');
    res = await runCli(['--root', root, 'tag', ref, 'Bad Name']);
    assert.equal(res.code, 125);
    assert.match(res.stderr, /^skiff: invalid image reference "Bad Name"/);
    res = await runCli(['--root', root, 'rmi', info!.Id.slice(7, 19)]);
    assert.equal(res.code, 125, 'an ID with two names needs -f');
    assert.match(res.stderr, /referenced by 2 names/);
    res = await runCli(['--root', root, 'rmi', '-f', info!.Id.slice(7, 19)]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.split('\n').filter((l) => l.startsWith('Untagged:')).length, 2);
    assert.match(res.stdout, /Deleted: sha256:/);
  });
});
