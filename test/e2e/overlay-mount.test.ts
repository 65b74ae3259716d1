// The container root's overlay mount: 128 layers under a long store path fit the one-page
// mount options (the lowers are short relative names); more than a page is a clear error,
// not a truncated mount; unmounting takes down a doubly mounted root and is quiet when
// nothing is mounted.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { isMountPoint, mountOverlay, overlayOptions, unmountOverlay } from '../../src/runtime/overlay.js';
import { mount } from '../../src/sys/libc.js';

describe('overlay root mount', () => {
  // A store root far longer than /var/lib/skiff: absolute lowerdirs would not fit a page here.
  const base = mkdtempSync(join(tmpdir(), `skiff-overlay-${'x'.repeat(120)}-`));
  const snapshots = join(base, 'snapshots');
  const ctr = join(base, 'containers', 'c'.repeat(64));
  after(() => {
    unmountOverlay(join(ctr, 'rootfs'));
    rmSync(base, { recursive: true, force: true });
  });

  function layout(n: number) {
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(ctr, d), { recursive: true });
    const lowers: string[] = [];
    for (let i = 1; i <= n; i++) {
      mkdirSync(join(snapshots, String(i)), { recursive: true });
      writeFileSync(join(snapshots, String(i), `layer-${i}`), String(i));
      writeFileSync(join(snapshots, String(i), 'top'), String(i));
      lowers.unshift(String(i)); // top layer first
    }
    return { snapshotsDir: snapshots, lowers, upper: join(ctr, 'upper'), work: join(ctr, 'work'), target: join(ctr, 'rootfs') };
  }

  test('128 layers under a long root: one mount, every layer visible, the top one wins', () => {
    const l = layout(128);
    assert.ok(Buffer.byteLength(overlayOptions(l)) < 4096);
    const absolute = l.lowers.map((x) => join(snapshots, x)).join(':');
    assert.ok(absolute.length > 4096, 'absolute lowerdirs would have overflowed the page');
    mountOverlay(l);
    try {
      assert.ok(isMountPoint(l.target));
      const names = readdirSync(l.target);
      assert.equal(names.filter((n) => n.startsWith('layer-')).length, 128);
      assert.equal(readFileSync(join(l.target, 'top'), 'utf8'), '128');
      writeFileSync(join(l.target, 'new'), 'written');
      assert.equal(readFileSync(join(l.upper, 'new'), 'utf8'), 'written', 'writes land in the container upper dir');
    } finally {
      unmountOverlay(l.target);
    }
    assert.ok(!isMountPoint(l.target));
  });

  test('a volatile root (run --rm) mounts with the volatile option', () => {
    const l = { ...layout(2), volatile: true };
    mountOverlay(l);
    try {
      const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((x) => x.split(' ')[4] === l.target);
      assert.match(line ?? '', /\bvolatile\b/);
    } finally {
      unmountOverlay(l.target);
    }
  });

  test('options longer than a page are refused with a clear error before mounting', () => {
    const l = { ...layout(1), lowers: Array.from({ length: 1200 }, (_, i) => String(100000 + i)) };
    assert.throws(() => mountOverlay(l), (err: unknown) => err instanceof SkiffError && /exceed one page/.test(err.message));
    assert.ok(!isMountPoint(l.target));
  });

  test('unmount takes down a root mounted twice, and is quiet where nothing is mounted', () => {
    const target = join(ctr, 'rootfs');
    mount('tmpfs', target, 'tmpfs', 0, 'size=1m');
    mount('tmpfs', target, 'tmpfs', 0, 'size=1m');
    unmountOverlay(target);
    assert.ok(!isMountPoint(target));
    unmountOverlay(target);
    assert.ok(!isMountPoint(target));
  });
});
