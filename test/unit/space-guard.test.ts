import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { SpaceGuard, reserveFor } from '../../src/store/space-guard.js';

const dir = tmpdir();
const fs = statfsSync(dir);
const total = fs.blocks * fs.bsize;
const free = fs.bavail * fs.bsize;

describe('reserveFor', () => {
  test('defaults to 5% of the filesystem, at most 256 MiB, and 5% of its inodes, at most 10,000', () => {
    assert.deepEqual(reserveFor(dir, {}), { bytes: Math.min(256 * 1024 ** 2, Math.floor(total * 0.05)), inodes: Math.min(10_000, Math.floor(fs.files * 0.05)) });
  });

  test('SKIFF_MIN_FREE takes bytes, binary units with or without i/b, and percentages', () => {
    const bytes = (v: string) => reserveFor(dir, { SKIFF_MIN_FREE: v }).bytes;
    assert.equal(bytes('4096'), 4096);
    assert.equal(bytes('512k'), 512 * 1024);
    assert.equal(bytes('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(bytes('2MiB'), 2 * 1024 ** 2);
    assert.equal(bytes('1tb'), 1024 ** 4);
    assert.equal(bytes('10%'), Math.floor(total * 0.1));
    assert.deepEqual(reserveFor(dir, { SKIFF_MIN_FREE: '0' }), { bytes: 0, inodes: 0 });
  });

  test('anything else is a clear usage error', () => {
    for (const v of ['lots', '-1', '5x', '101%', '1e9']) {
      assert.throws(() => reserveFor(dir, { SKIFF_MIN_FREE: v }), (e: unknown) => e instanceof SkiffError && e.kind === 'usage' && e.message.startsWith(`SKIFF_MIN_FREE=${v} `));
    }
  });
});

describe('SpaceGuard', () => {
  test('lets writes through while the reserve stays free', () => {
    const g = new SpaceGuard(dir, { bytes: 0, inodes: 0 }, 'layer x');
    for (let i = 0; i < 1000; i++) g.charge(64 * 1024, 1);
  });

  test('refuses a write that would eat into the reserve, naming what and where', () => {
    const g = new SpaceGuard(dir, { bytes: free - 1024 * 1024, inodes: 0 }, 'layer sha256:ab');
    g.charge(1024);
    assert.throws(() => g.charge(2 * 1024 * 1024), { message: new RegExp(`^layer sha256:ab does not fit in ${dir}: writing on would leave less than the [\\d.]+ MB skiff keeps free \\(SKIFF_MIN_FREE sets that\\)$`) });
  });

  test('refuses a blob larger than the space left before any of it is written', () => {
    const g = new SpaceGuard(dir, { bytes: 0, inodes: 0 }, 'blob');
    assert.throws(() => g.charge(free + 1024 ** 3), /: blob does not fit in /);
  });

  test('counts inodes against the inode reserve', () => {
    const g = new SpaceGuard(dir, { bytes: 0, inodes: fs.ffree }, 'layer y');
    assert.throws(() => {
      g.charge(0, 1);
    }, /writing on would leave fewer than the \d+ inodes skiff keeps free/);
  });
});
