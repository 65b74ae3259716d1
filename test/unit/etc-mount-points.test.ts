// src/runtime/etc-mount-points.ts: the files runc binds onto /etc, made in a new upper where
// the image (as overlayfs merges its layers) lacks them, under an /etc that looks like the image's.
import assert from 'node:assert/strict';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { OVERLAY_TRUSTED } from '../../src/oci/layer/merged-view.js';
import { ETC_MOUNT_POINTS, prepareEtcMountPoints } from '../../src/runtime/etc-mount-points.js';
import { S_IFCHR, lsetxattr, mknod } from '../../src/sys/libc.js';

const base = mkdtempSync(join(tmpdir(), 'skiff-etcmp-'));
let n = 0;

/** A fresh upper and lower layer directories (topmost first), each given as path -> what it is. */
function layers(...specs: Record<string, 'dir' | 'file' | 'whiteout' | 'opaque-dir' | `-> ${string}`>[]): { upper: string; lowers: string[] } {
  const dir = join(base, String(n++));
  const upper = join(dir, 'upper');
  mkdirSync(upper, { recursive: true });
  const lowers = specs.map((spec, i) => {
    const l = join(dir, `lower${i}`);
    mkdirSync(l);
    for (const [p, what] of Object.entries(spec)) {
      const abs = join(l, p);
      if (what === 'dir' || what === 'opaque-dir') mkdirSync(abs);
      if (what === 'opaque-dir') lsetxattr(abs, OVERLAY_TRUSTED.opaqueXattr, Buffer.from('y'));
      if (what === 'file') writeFileSync(abs, `${p} of lower${i}\n`);
      if (what === 'whiteout') mknod(abs, S_IFCHR | 0o600, 0, 0);
      if (what.startsWith('-> ')) symlinkSync(what.slice(3), abs);
    }
    return l;
  });
  return { upper, lowers };
}

describe('prepareEtcMountPoints', () => {
  after(() => rmSync(base, { recursive: true, force: true }));

  test("makes the ones the image lacks, under an /etc with the image's mode, owner and times", () => {
    const { upper, lowers } = layers({ etc: 'dir', 'etc/hostname': 'file' });
    const etc = join(lowers[0]!, 'etc');
    chownSync(etc, 12, 34);
    chmodSync(etc, 0o2750);
    utimesSync(etc, 1_600_000_000, 1_500_000_000);
    prepareEtcMountPoints(upper, lowers, OVERLAY_TRUSTED);
    assert.deepEqual(readdirSync(join(upper, 'etc')).sort(), ['hosts', 'resolv.conf']);
    const st = lstatSync(join(upper, 'etc'));
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid, st.mtimeMs], [0o2750, 12, 34, 1_500_000_000_000]);
    for (const name of ['hosts', 'resolv.conf']) {
      const f = lstatSync(join(upper, 'etc', name));
      assert.ok(f.isFile() && f.size === 0);
    }
  });

  test('an image without /etc gets one as runc would make it: 0755, root', () => {
    const { upper, lowers } = layers({ bin: 'dir' });
    prepareEtcMountPoints(upper, lowers, OVERLAY_TRUSTED);
    assert.deepEqual(readdirSync(join(upper, 'etc')).sort(), [...ETC_MOUNT_POINTS].sort());
    const st = lstatSync(join(upper, 'etc'));
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o755, 0, 0]);
  });

  test('layers merge as overlayfs merges them: a whiteout or an opaque /etc hides what is below', () => {
    const whitedOut = layers({ etc: 'whiteout' }, { etc: 'dir', 'etc/hosts': 'file', 'etc/hostname': 'file', 'etc/resolv.conf': 'file' });
    prepareEtcMountPoints(whitedOut.upper, whitedOut.lowers, OVERLAY_TRUSTED);
    assert.deepEqual(readdirSync(join(whitedOut.upper, 'etc')).sort(), [...ETC_MOUNT_POINTS].sort());

    const opaque = layers({ etc: 'opaque-dir', 'etc/hostname': 'file' }, { etc: 'dir', 'etc/hosts': 'file', 'etc/resolv.conf': 'file' });
    prepareEtcMountPoints(opaque.upper, opaque.lowers, OVERLAY_TRUSTED);
    assert.deepEqual(readdirSync(join(opaque.upper, 'etc')).sort(), ['hosts', 'resolv.conf']);

    const fileWhiteout = layers({ etc: 'dir', 'etc/hosts': 'whiteout' }, { etc: 'dir', 'etc/hosts': 'file', 'etc/hostname': 'file', 'etc/resolv.conf': 'file' });
    prepareEtcMountPoints(fileWhiteout.upper, fileWhiteout.lowers, OVERLAY_TRUSTED);
    assert.deepEqual(readdirSync(join(fileWhiteout.upper, 'etc')), ['hosts']);
  });

  test('an image that has all three, or whose /etc is a symlink, is left as it is', () => {
    const all = layers({ etc: 'dir', 'etc/hosts': 'file', 'etc/hostname': 'file', 'etc/resolv.conf': '-> /run/resolv.conf' });
    prepareEtcMountPoints(all.upper, all.lowers, OVERLAY_TRUSTED);
    assert.deepEqual(readdirSync(all.upper), []);

    const linked = layers({ etc: '-> usr/etc', usr: 'dir', 'usr/etc': 'dir' });
    prepareEtcMountPoints(linked.upper, linked.lowers, OVERLAY_TRUSTED);
    assert.equal(existsSync(join(linked.upper, 'etc')), false);
  });
});
