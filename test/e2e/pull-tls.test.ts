// Registries over HTTPS: a loopback registry with a self-signed certificate is spoken to over
// TLS (unverified, as for any insecure registry) and the pull works; the same store content
// served over plain HTTP works too (the HTTPS attempt falls back); a registry that answers
// over HTTPS but redirects blobs to plain HTTP is refused (no silent downgrade).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
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

  test('a blob redirected from https to plain http: refused, nothing stored', async () => {
    // An HTTPS front that serves the manifests and sends every blob to the plain-HTTP registry.
    const certDir = mkdtempSync(join(tmpdir(), 'skiff-tls-front-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
    const front = createHttpsServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (req, res) => {
      if (req.url!.includes('/blobs/')) {
        res.writeHead(307, { Location: `${plain.url}${req.url}` });
        res.end();
        return;
      }
      // Everything else is relayed from the plain registry, headers and all.
      httpGet(`${plain.url}${req.url}`, { headers: { Accept: req.headers.accept ?? '*/*' } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
    }).listen(0, '127.0.0.1');
    await once(front, 'listening');
    const fresh = tempRoot();
    try {
      const ref = `127.0.0.1:${(front.address() as AddressInfo).port}/tls/app:v1`;
      const res = await runCli(['--root', fresh.root, 'pull', '-q', ref]);
      assert.equal(res.code, 125);
      assert.match(res.stderr, /refusing redirect from https to http/);
      assert.equal((await runCli(['--root', fresh.root, 'images', '-q'])).stdout, '');
      assert.deepEqual(readdirSync(join(fresh.root, 'snapshots')), []);
    } finally {
      front.close();
      fresh.cleanup();
      rmSync(certDir, { recursive: true, force: true });
    }
  });
});
