// Registries over HTTPS: a loopback registry with a self-signed certificate is spoken to over
// TLS (unverified, as for any insecure registry) and the pull works; the same store content
// served over plain HTTP works too (the HTTPS attempt falls back).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { runCli, tempRoot } from '../helpers/cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar } from '../helpers/tar-writer.js';
import { mountImage, readTree } from '../helpers/tree.js';

describe('pull over HTTPS', () => {
  let plain: RunningRegistry;
  let tls: RunningRegistry;
  const { root, cleanup } = tempRoot();

  before(async () => {
    plain = await startRegistry();
    await pushImage(plain.url, 'tls/app', 'v1', { layers: [{ tar: makeTar([{ path: 'hello', content: 'over tls' }]), compression: 'gzip' }] });
    // A second registry serving the same storage, over TLS with a self-signed certificate.
    tls = await startRegistry({ tls: true, storageDir: join(plain.dataDir, 'storage') });
  });
  after(async () => {
    await tls?.stop();
    await plain?.stop();
    cleanup();
  });

  test('a loopback registry with a self-signed certificate', async () => {
    assert.match(tls.url, /^https:/);
    const ref = `${tls.host}/tls/app:v1`;
    const res = await runCli(['--root', root, 'pull', '-q', ref]);
    assert.equal(res.code, 0, res.stderr);
    const m = mountImage(root, ref);
    try {
      assert.equal(readTree(m.dir).get('hello')?.content, 'over tls');
    } finally {
      m.unmount();
    }
  });

  test('the same image over plain HTTP on loopback', async () => {
    const res = await runCli(['--root', root, 'pull', '-q', `${plain.host}/tls/app:v1`]);
    assert.equal(res.code, 0, res.stderr);
  });
});
