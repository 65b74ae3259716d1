// bin/skiff's code caches, one per command: made by a command's first start after a build,
// left alone by the next, made again when unreadable, none for a word that names no command;
// named by the same rule as the CLI's own (global options and their values skipped). Run on a
// copy of the launcher and bundle, so the suite's own caches are not touched.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GLOBAL_OPTIONS_WITH_VALUE, buildProgram } from '../../src/cli/main.js';
import { SKIFF_BIN } from '../helpers/cli.js';

const REPO = join(SKIFF_BIN, '..', '..');

describe('launcher code caches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-launcher-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  cpSync(join(REPO, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(REPO, 'dist', 'bundle'), join(dir, 'dist', 'bundle'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  const bundleDir = join(dir, 'dist', 'bundle');
  const caches = () => readdirSync(bundleDir).filter((f) => f.endsWith('.v8cache')).sort();
  const cache = (word: string) => join(bundleDir, `skiff.cjs.${word}.v8cache`);
  for (const f of caches()) rmSync(join(bundleDir, f));
  const root = join(dir, 'root');
  const skiff = (...args: string[]) => execFileSync(process.execPath, [join(dir, 'bin', 'skiff'), ...args], { encoding: 'utf8' });

  test("each command makes its own at its first start; the next start leaves it as it is", () => {
    assert.match(skiff('--version'), /^\d+\.\d+\.\d+/);
    assert.deepEqual(caches(), ['skiff.cjs.-.v8cache']);
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.deepEqual(caches(), ['skiff.cjs.-.v8cache', 'skiff.cjs.images.v8cache']);
    const before = statSync(cache('images')).mtimeMs;
    const bytes = readFileSync(cache('images'));
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.equal(statSync(cache('images')).mtimeMs, before);
    assert.deepEqual(readFileSync(cache('images')), bytes);
    skiff('--root', root, 'ps', '-a');
    assert.ok(existsSync(cache('ps')));
    // Each holds only its own command's functions: ps's is no copy of images'.
    assert.notDeepEqual(readFileSync(cache('ps')), bytes);
  });

  test('a word that names no command gets no cache, so their number stays bounded', () => {
    const before = caches();
    for (const word of ['no-such-command', 'no$such\ncommand']) {
      const res = spawnSync(process.execPath, [join(dir, 'bin', 'skiff'), word], { encoding: 'utf8' });
      assert.notEqual(res.status, 0);
      assert.match(res.stderr, /^skiff: /);
    }
    assert.deepEqual(caches(), before);
  });

  test('an unreadable cache (torn, or of another build) is made again and the command still works', () => {
    writeFileSync(cache('images'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]));
    assert.equal(skiff('--root', root, 'images', '-q'), '');
    assert.ok(readFileSync(cache('images')).length > 10_000);
  });

  test("the command is named as the CLI names it: after each global option that takes a value, and that value", () => {
    const withValue = buildProgram({ isProcess: false, stdout: process.stdout, stderr: process.stderr, env: {} }, () => {})
      .options.filter((o) => o.required || o.optional)
      .map((o) => o.long!);
    assert.deepEqual(new Set(withValue), GLOBAL_OPTIONS_WITH_VALUE);
    for (const option of withValue) {
      rmSync(cache('images'), { force: true });
      // A value that is itself a command word must not be taken for the command.
      const value = option === '--root' ? root : 'ps';
      assert.equal(skiff(...(option === '--root' ? [] : ['--root', root]), option, value, 'images', '-q'), '');
      assert.ok(existsSync(cache('images')), `${option} ${value} images`);
    }
  });

  test('--debug runs the modules the bundle was built from, so stack traces keep their names', () => {
    // The bundle's identifiers are minified (scripts/bundle.mjs).
    const r = spawnSync(process.execPath, [SKIFF_BIN, '--debug', '--root', root, 'logs', 'no-such-container'], { encoding: 'utf8' });
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /^skiff: no such container/m);
    assert.match(r.stderr, /\n\s+at [A-Za-z]\w+ \(file:\/\/\S+\/dist\/src\/ops\/\S+\.js:\d+:\d+\)/);
  });
});
