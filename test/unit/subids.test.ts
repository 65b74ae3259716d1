// /etc/subuid and /etc/subgid as shadow writes them, and the user's identity across the
// re-run into its user namespace.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSubIds } from '../../src/runtime/subids.js';
import { inUserNamespace, rootlessUid } from '../../src/sys/rootless-identity.js';
import { defaultConfigDir, defaultRoot } from '../../src/store/paths.js';

describe('subordinate ids', () => {
  test('the first range of the user, by name or uid; comments and junk skipped', () => {
    const text = '# comment\nalice:100000:65536\nbad line\n1001:200000:1000\nalice:500000:10\nbob:x:y\n';
    assert.deepEqual(parseSubIds(text, 'alice', 1000), { start: 100000, count: 65536 });
    assert.deepEqual(parseSubIds(text, 'carol', 1001), { start: 200000, count: 1000 });
    assert.equal(parseSubIds(text, 'bob', 1002), undefined);
    assert.equal(parseSubIds('', 'alice', 1000), undefined);
  });
});

describe('rootless identity', () => {
  test('an ordinary user, the same user as root of its namespace, and real root', () => {
    assert.equal(rootlessUid({}, 1000), 1000);
    assert.equal(rootlessUid({ SKIFF_ROOTLESS_UID: '1000' }, 0), 1000);
    assert.equal(rootlessUid({}, 0), undefined);
    assert.equal(rootlessUid({ SKIFF_ROOTLESS_UID: '0' }, 0), undefined);
    assert.equal(rootlessUid({ SKIFF_ROOTLESS_UID: 'x' }, 0), undefined);
    assert.ok(inUserNamespace({ SKIFF_ROOTLESS_UID: '1000' }, 0));
    assert.ok(!inUserNamespace({}, 1000));
  });

  test("paths stay the user's inside its namespace", () => {
    const env = { HOME: '/home/al', SKIFF_ROOTLESS_UID: '1000' };
    assert.equal(defaultRoot(env, 0), '/home/al/.local/share/skiff');
    assert.equal(defaultConfigDir(undefined, env, 0), '/home/al/.config/skiff');
    assert.equal(defaultRoot({ ...env, XDG_DATA_HOME: '/d' }, 0), '/d/skiff');
    assert.equal(defaultRoot({}, 0), '/var/lib/skiff');
    assert.equal(defaultConfigDir(undefined, {}, 0), '/etc/skiff');
  });
});
