// bin/skiff's code cache: made by the first command of a build, grown by each command it has
// not seen (whose lazily compiled functions it would otherwise lack), left alone by commands it
// has, and made again when it is unreadable. Run on a copy of the launcher and bundle, so the
// suite's own cache is not touched.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SKIFF_BIN } from '../helpers/cli.js';

const REPO = join(SKIFF_BIN, '..', '..');

describe('launcher code cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-launcher-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  cpSync(join(REPO, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(REPO, 'dist', 'bundle'), join(dir, 'dist', 'bundle'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  const cache = join(dir, 'dist', 'bundle', 'skiff.cjs.v8cache');
  rmSync(cache, { force: true });
  const root = join(dir, 'root');
  const skiff = (...args: string[]) => execFileSync(process.execPath, [join(dir, 'bin', 'skiff'), ...args], { encoding: 'utf8' });
  const header = () => readFileSync(cache).subarray(0, readFileSync(cache).indexOf(10)).toString();

  test('the first command makes it; a new command adds to it; a known one leaves it', () => {
    assert.match(skiff('--version'), /^\d+\.\d+\.\d+/);
    assert.equal(header(), '-');
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.equal(header(), '- images');
    const before = statSync(cache).mtimeMs;
    const bytes = readFileSync(cache);
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.equal(statSync(cache).mtimeMs, before);
    assert.deepEqual(readFileSync(cache), bytes);
    skiff('--root', root, 'ps', '-a');
    assert.equal(header(), '- images ps');
  });

  test('a word that is no command name is kept as "-", so the header stays one clean line', () => {
    const before = header();
    const res = spawnSync(process.execPath, [join(dir, 'bin', 'skiff'), 'no$such\ncommand'], { encoding: 'utf8' });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /^skiff: /);
    assert.equal(header(), before.split(' ').includes('-') ? before : `${before} -`);
  });

  test('an unreadable cache (another layout, torn) is made again and the command still works', () => {
    writeFileSync(cache, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]));
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.equal(header(), 'images');
    writeFileSync(cache, Buffer.concat([Buffer.from('images\n'), Buffer.from('not v8 data')]));
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.equal(header(), 'images');
    assert.ok(readFileSync(cache).length > 10_000);
  });
});
