// Pulled trees are exactly what the image spec defines: several layers of whiteouts and opaque
// directories, type replacements, hardlinks, long and unicode names, setuid and non-root files,
// absolute and relative symlinks, xattrs; OCI and Docker media types; gzip and plain layers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, tempRoot } from '../helpers/cli.js';
import { pushImage, pushIndex, type ImageInput } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar } from '../helpers/tar-writer.js';
import { expectedTree, layer1, layer2, layer3 } from '../helpers/tree-image.js';
import { asObject, mountImage, readTree } from '../helpers/tree.js';

function treeImage(format: 'oci' | 'docker'): ImageInput {
  return {
    format,
    layers: [{ tar: makeTar(layer1), compression: 'gzip' }, { tar: makeTar(layer2), compression: 'none' }, { tar: makeTar(layer3), compression: 'gzip' }],
    config: { config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'] } },
  };
}



describe('pull: trees as the image spec defines them', () => {
  let reg: RunningRegistry;
  const { root, cleanup } = tempRoot();

  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
    cleanup();
  });

  for (const format of ['oci', 'docker'] as const) {
    test(`${format} image with whiteouts, opaque dirs, replacements, links, xattrs`, async () => {
      await pushImage(reg.url, `tree/${format}`, 'v1', treeImage(format));
      const ref = `${reg.host}/tree/${format}:v1`;
      const res = await runCli(['--root', root, 'pull', ref]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Digest: sha256:[a-f0-9]{64}\n/);
      assert.ok(res.stdout.trimEnd().endsWith(ref), res.stdout);
      const m = mountImage(root, ref);
      try {
        const tree = asObject(readTree(m.dir, { xattrs: true }));
        // xattrs are compared only where the layer set them.
        for (const [p, n] of Object.entries(tree)) if (!expectedTree()[p]?.xattrs) delete n.xattrs;
        assert.deepEqual(tree, expectedTree());
      } finally {
        m.unmount();
      }
    });
  }

  test('snapshots are shared between images with the same layers', async () => {
    const before = (await runCli(['--root', root, 'images', '--format', 'json'])).stdout.trim().split('\n').length;
    await pushImage(reg.url, 'tree/copy', 'v1', treeImage('oci'));
    const res = await runCli(['--root', root, 'pull', `${reg.host}/tree/copy:v1`]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /already exists/);
    const after = (await runCli(['--root', root, 'images', '--format', 'json'])).stdout.trim().split('\n');
    assert.equal(after.length, before + 1);
  });

  test('multi-arch index: the host platform by default, another with --platform', async () => {
    const mk = (arch: string, marker: string): { img: ImageInput } => ({
      img: { platform: { architecture: arch, os: 'linux', ...(arch === 'arm64' ? { variant: 'v8' } : {}) }, layers: [{ tar: makeTar([{ path: 'arch', content: marker }]) }] },
    });
    await pushIndex(reg.url, 'multi/arch', 'latest', [mk('arm64', 'arm64'), mk('amd64', 'amd64'), mk('s390x', 's390x')]);
    const ref = `${reg.host}/multi/arch:latest`;
    const host = process.arch === 'x64' ? 'amd64' : 'arm64';
    let res = await runCli(['--root', root, 'pull', ref]);
    assert.equal(res.code, 0, res.stderr);
    let m = mountImage(root, ref);
    assert.equal(readTree(m.dir).get('arch')?.content, host);
    m.unmount();
    res = await runCli(['--root', root, 'pull', '--platform', 'linux/s390x', ref]);
    assert.equal(res.code, 0, res.stderr);
    m = mountImage(root, ref);
    assert.equal(readTree(m.dir).get('arch')?.content, 's390x');
    m.unmount();
    res = await runCli(['--root', root, 'pull', '--platform', 'linux/riscv64', ref]);
    assert.equal(res.code, 125);
    assert.match(res.stderr, /no image for platform linux\/riscv64 \(available: linux\/arm64\/v8, linux\/amd64, linux\/s390x\)/);
  });
});
