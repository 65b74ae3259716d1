// skiff's addon (native/skiff-sys.c) through src/sys/libc.ts: results, Node-style errors from
// -errno, and JavaScript errors for arguments of the wrong type rather than a crash.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { S_IFCHR, S_IFIFO, lgetxattr, llistxattr, lsetxattr, mknod, umount2, withFileLock } from '../../src/sys/libc.js';
import { sys } from '../../src/sys/native.js';

describe('native calls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-native-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('xattrs: set, get, list; an absent one is undefined; a missing file is ENOENT', () => {
    const f = join(dir, 'x');
    writeFileSync(f, '');
    lsetxattr(f, 'user.skiff', Buffer.from('value'));
    lsetxattr(f, 'trusted.big', Buffer.alloc(3000, 'b'));
    assert.equal(lgetxattr(f, 'user.skiff')?.toString(), 'value');
    // Larger than the first buffer tried (256 bytes): asked again with a larger one.
    assert.equal(lgetxattr(f, 'trusted.big')?.length, 3000);
    assert.equal(lgetxattr(f, 'user.absent'), undefined);
    assert.deepEqual(llistxattr(f).sort(), ['trusted.big', 'user.skiff']);
    assert.throws(() => lgetxattr(join(dir, 'missing'), 'user.skiff'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'lgetxattr' && e.errno === -2);
  });

  test('mknod makes device nodes with Linux major/minor numbers, and FIFOs', () => {
    const dev = join(dir, 'dev');
    mknod(dev, S_IFCHR | 0o600, 300, 70000);
    const st = statSync(dev);
    assert.ok(st.isCharacterDevice());
    assert.equal(Number((BigInt(st.rdev) >> 8n) & 0xfffn) | Number((BigInt(st.rdev) >> 32n) & ~0xfffn), 300);
    assert.equal(Number(BigInt(st.rdev) & 0xffn) | Number((BigInt(st.rdev) >> 12n) & ~0xffn), 70000);
    mknod(join(dir, 'fifo'), S_IFIFO | 0o600);
    assert.ok(statSync(join(dir, 'fifo')).isFIFO());
    assert.throws(() => mknod(dev, S_IFCHR | 0o600, 1, 3), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
  });

  test('umount2 of what is not a mount point is EINVAL', () => {
    assert.throws(() => umount2(dir), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && e.path === dir);
  });

  test('withFileLock holds an flock the kernel sees', async () => {
    const lock = join(dir, 'lock');
    await withFileLock(lock, async () => {
      const fd = openSync(lock, 'r');
      try {
        assert.equal(sys().flock(fd, 2 | 4), -11, 'LOCK_EX|LOCK_NB from another open file: EAGAIN');
      } finally {
        closeSync(fd);
      }
    });
  });

  test('arguments of the wrong type throw TypeErrors', () => {
    const s = sys() as unknown as Record<string, (...a: unknown[]) => unknown>;
    assert.throws(() => s.umount2!(42, 0), TypeError);
    assert.throws(() => s.lgetxattr!('/', 'user.x', 'not a buffer'), TypeError);
    assert.throws(() => s.read!(0), TypeError);
    assert.throws(() => s.spawn!('/bin/true', ['true', 7], [], []), TypeError);
    assert.throws(() => s.spawn!('/bin/true', ['true'], [], [[9, 0, 0]]), TypeError);
    assert.throws(() => s.pipe2!(0, Buffer.alloc(4)), RangeError);
  });
});
