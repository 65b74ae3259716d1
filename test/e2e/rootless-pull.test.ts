// Rootless: an ordinary user with subordinate ids pulls into its own store under its XDG dirs.
// skiff runs itself in the user's user namespace, so the image's files keep their ids (mapped
// to the user's ranges on the host), whiteouts and opaque dirs are in the form overlay reads
// there (user.* xattrs), device nodes are left out; rmi takes everything away again.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { NO_SUBIDS_USER, asImageSees, rootlessUser, type RootlessUser } from '../helpers/rootless-user.js';
import { makeTar } from '../helpers/tar-writer.js';
import { layer1, layer2, layer3 } from '../helpers/tree-image.js';
import { asObject, mountImage, readTree } from '../helpers/tree.js';

describe('rootless pull', () => {
  let reg: RunningRegistry;
  let user: RootlessUser;
  let ref: string;

  before(async () => {
    reg = await startRegistry();
    user = rootlessUser();
    await pushImage(reg.url, 'rootless/tree', 'v1', {
      layers: [{ tar: makeTar(layer1), compression: 'gzip' }, { tar: makeTar(layer2), compression: 'none' }, { tar: makeTar(layer3), compression: 'gzip' }],
      config: { config: { Cmd: ['/bin/sh'] } },
    });
    ref = `${reg.host}/rootless/tree:v1`;
  });
  after(async () => {
    user?.cleanup();
    await reg?.stop();
  });

  test('the tree keeps its ids through the user namespace; devices are left out', async () => {
    const r = await user.sk('pull', '-q', ref);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(user.dataDir, 'metadata.db')), 'the store is under $XDG_DATA_HOME (~/.local/share/skiff)');
    const images = await user.sk('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.equal(images.stdout, `${reg.host}/rootless/tree:v1\n`);

    // Host ids back to the image's: the user is root in its namespace, subordinate ids are 1….
    const m = mountImage(user.dataDir, ref, { userxattr: true });
    try {
      const { seen, expected } = asImageSees(user, asObject(readTree(m.dir)));
      assert.deepEqual(seen, expected);
    } finally {
      m.unmount();
    }
  });

  test("the store holds nothing owned outside the user's ranges", () => {
    const bad: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const lst = lstatSync(p);
        const own = (id: number, mine: number, sub: number) => id === mine || (id >= sub && id < sub + 65536);
        if (!own(lst.uid, user.uid, user.subuid) || !own(lst.gid, user.gid, user.subgid)) bad.push(`${p} ${lst.uid}:${lst.gid}`);
        if (lst.isDirectory()) walk(p);
      }
    };
    walk(user.dataDir);
    assert.deepEqual(bad, []);
  });

  test('rmi removes it all: no snapshot, blob or permission-denied leftover', async () => {
    const r = await user.sk('rmi', ref);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(user.dataDir, 'snapshots')).filter((n) => !n.startsWith('.')), []);
    assert.deepEqual(readdirSync(join(user.dataDir, 'content', 'blobs', 'sha256')), []);
  });

  test('without subordinate ids: one line with the fix, exit 125; help still works', async () => {
    const other = rootlessUser(NO_SUBIDS_USER, false);
    try {
      const r = await other.sk('images');
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `skiff: user ${NO_SUBIDS_USER} has no subordinate ids in /etc/subuid, which rootless containers need for the ids of their files; as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${NO_SUBIDS_USER}\n`);
      const help = await other.sk('images', '--help');
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: skiff images/);
    } finally {
      other.cleanup();
    }
  });

  test('XDG_RUNTIME_DIR of another user (a su leftover) is refused; none at all falls back with a warning', async () => {
    const own = await user.sk('images');
    assert.equal(own.code, 0, own.stderr);
    assert.equal(own.stderr, '', 'its own runtime dir: no warning');
    const spawnAs = (env: NodeJS.ProcessEnv) => user.skWith(env, 'images', '-q');
    const su = await spawnAs({ XDG_RUNTIME_DIR: '/root' });
    assert.equal(su.code, 125);
    assert.match(su.stderr, /^skiff: XDG_RUNTIME_DIR \/root belongs to uid 0, not to you \(uid \d+\): a leftover of su or sudo\? Log in as this user, or unset XDG_RUNTIME_DIR\n$/);
    const none = await spawnAs({ XDG_RUNTIME_DIR: undefined });
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stderr, `skiff: warning: XDG_RUNTIME_DIR is not set; keeping runtime state in /tmp/skiff-run-${user.uid}\n`);
  });
});
