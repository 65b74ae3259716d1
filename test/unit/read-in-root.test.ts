// src/runtime/read-in-root.ts on real directories: symlinks in an image resolve inside its root.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { MAX_READ_BYTES, readImageFile, resolveInRoot } from '../../src/runtime/read-in-root.js';

let base: string;
let root: string;
let outside: string;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'skiff-read-in-root-'));
  root = join(base, 'rootfs');
  outside = join(base, 'host');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'real'), { recursive: true });
  mkdirSync(join(outside, 'etc'), { recursive: true });
  writeFileSync(join(outside, 'etc/passwd'), 'host:x:0:0::/:/bin/sh\n');
  writeFileSync(join(outside, 'secret'), 'host secret\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(root, 'real/file'), 'real\n');
  writeFileSync(join(root, 'usr/bin/tool'), '#!/bin/sh\n');
  // Escapes that must stay inside the root.
  symlinkSync('/etc/passwd', join(root, 'abs-passwd')); // absolute: the root's /etc/passwd
  symlinkSync('../../../../../../secret', join(root, 'etc/dotdot')); // clamped: /secret in the root
  symlinkSync(outside, join(root, 'hostdir')); // absolute host path: taken as a root path
  symlinkSync('../..', join(root, 'usr/bin/up')); // up past usr: the root
  symlinkSync('real', join(root, 'rel-dir')); // relative directory link
  symlinkSync('/rel-dir/file', join(root, 'chain1'));
  symlinkSync('chain1', join(root, 'chain2'));
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  symlinkSync('missing-target', join(root, 'dangling'));
  writeFileSync(join(root, 'big'), Buffer.alloc(MAX_READ_BYTES + 1, 0x61));
  writeFileSync(join(root, 'exactly-1mib'), Buffer.alloc(MAX_READ_BYTES, 0x61));
});

after(() => rmSync(base, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  // [name, path inside the root, expected path relative to the root ('' = the root), or undefined]
  const rows: [string, string, string | undefined][] = [
    ['a plain file', '/etc/passwd', 'etc/passwd'],
    ['a relative path is taken from the root', 'etc/passwd', 'etc/passwd'],
    ['the root itself', '/', ''],
    ['.. above the root is the root', '/../../etc/passwd', 'etc/passwd'],
    ['absolute symlink resolves in the root', '/abs-passwd', 'etc/passwd'],
    ['.. in a symlink is clamped at the root', '/etc/dotdot', undefined],
    ['a link to a host directory is a path in the root', '/hostdir/etc/passwd', undefined],
    ['a directory link climbing out stays at the root', '/usr/bin/up/etc/passwd', 'etc/passwd'],
    ['relative directory link', '/rel-dir/file', 'real/file'],
    ['chain of links', '/chain2', 'real/file'],
    ['a link as a directory on the way', '/bin/tool', 'usr/bin/tool'],
    ['missing', '/etc/shadow', undefined],
    ['missing directory', '/nope/passwd', undefined],
    ['a file used as a directory', '/etc/passwd/x', undefined],
    ['dangling link', '/dangling', undefined],
  ];
  for (const [name, path, expected] of rows) {
    test(name, () => {
      const got = resolveInRoot(root, path);
      if (expected === undefined) assert.equal(got, undefined);
      else assert.equal(got, expected === '' ? root : join(root, expected));
    });
  }
  test('a symlink loop is a clear error', () => {
    assert.throws(
      () => resolveInRoot(root, '/loop-a'),
      (e: unknown) => e instanceof SkiffError && /too many levels of symbolic links/.test(e.message) && !e.message.includes('\n'),
    );
  });
});

describe('readImageFile', () => {
  test("reads the root's file, not the host's, through an absolute link", () => {
    assert.equal(readImageFile(root, '/abs-passwd'), 'root:x:0:0::/root:/bin/sh\n');
    assert.equal(readImageFile(root, '/etc/group'), 'root:x:0:\n');
  });
  test('never reads outside the root', () => {
    assert.equal(readImageFile(root, '/etc/dotdot'), undefined);
    assert.equal(readImageFile(root, '/hostdir/etc/passwd'), undefined);
    assert.equal(readImageFile(root, '/../host/secret'), undefined);
  });
  test('missing file and directories are undefined', () => {
    assert.equal(readImageFile(root, '/etc/shadow'), undefined);
    assert.equal(readImageFile(root, '/etc'), undefined);
  });
  test('1 MiB is read, more is refused', () => {
    assert.equal(readImageFile(root, '/exactly-1mib')!.length, MAX_READ_BYTES);
    assert.throws(() => readImageFile(root, '/big'), (e: unknown) => e instanceof SkiffError && /larger than 1 MiB/.test(e.message));
  });
});
