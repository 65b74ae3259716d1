// Registry faults a real registry won't produce, served by an in-process fake: lying blobs and
// manifests, 5xx and 429 storms, truncated, stalled and redirected downloads, token auth and
// auth loops, and documents skiff must refuse. Every case checks what the user sees (exit code
// or a one-line error) and that the store holds nothing half-done afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import type { OpsContext } from '../../src/ops/context.js';
import { pull, type PullResult } from '../../src/ops/pull.js';
import { runCli, tempRoot } from '../helpers/cli.js';
import { FakeRegistry, OCI, buildImage, sendBlob, sendTruncated, sha256, type FakeImage } from '../helpers/fake-registry.js';
import { makeTar } from '../helpers/tar-writer.js';

const FAST_RETRY = { retries: 4, baseDelayMs: 10, maxDelayMs: 2000 };

// Random file contents: gzip cannot shrink them, so layers are big enough to cut in half.
function layerTar(name: string, bytes: number): Buffer {
  return makeTar([
    { path: `${name}/`, type: 'dir' },
    { path: `${name}/data.bin`, content: randomBytes(bytes) },
    { path: `${name}/hello.txt`, content: `hello from ${name}\n` },
  ]);
}

function twoLayerImage(opts: Parameters<typeof buildImage>[1] = {}): FakeImage {
  return buildImage([layerTar('one', 256 * 1024), layerTar('two', 192 * 1024)], opts);
}

function flipByte(buf: Buffer, at: number): Buffer {
  const out = Buffer.from(buf);
  out[at] = out[at]! ^ 0xff;
  return out;
}

const roots: (() => void)[] = [];
function freshRoot(): string {
  const t = tempRoot();
  roots.push(t.cleanup);
  return t.root;
}

function ctxFor(root: string, extra: Partial<OpsContext> = {}): OpsContext {
  return { root, configDir: `${root}/config`, env: {}, insecureRegistries: [], retry: FAST_RETRY, timeoutMs: 2000, ...extra };
}

/** Pulls through the operation (fast retry policy); returns the result or the SkiffError. */
async function pullOp(root: string, reference: string, extra: Partial<OpsContext> = {}): Promise<{ result?: PullResult; error?: SkiffError; ms: number }> {
  const t0 = Date.now();
  try {
    const result = await pull(ctxFor(root, extra), { reference });
    return { result, ms: Date.now() - t0 };
  } catch (err) {
    assert.ok(err instanceof SkiffError, `expected a SkiffError, got ${String(err)}`);
    return { error: err, ms: Date.now() - t0 };
  }
}

/** pullOp, failing (and unblocking the fake's held responses) instead of hanging past `ms`. */
async function pullWithin(reg: FakeRegistry, ms: number, root: string, reference: string, extra: Partial<OpsContext> = {}): ReturnType<typeof pullOp> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  const outcome = await Promise.race([pullOp(root, reference, extra), hung]);
  clearTimeout(timer);
  if (outcome === 'hung') {
    reg.reset();
    assert.fail(`pull of ${reference} still running after ${ms} ms (hung)`);
  }
  return outcome;
}

function assertOneLineError(error: SkiffError | undefined, re: RegExp): void {
  assert.ok(error, 'pull should have failed');
  assert.doesNotMatch(error.message, /\n/, 'error message is one line');
  assert.match(error.message, re);
}

/** Lines `skiff images --format '{{.Name}}'` prints. */
async function listedImages(root: string): Promise<string[]> {
  const r = await runCli(['--root', root, 'images', '--format', '{{.Name}}']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Nothing half-done: no ingest files, no tmp snapshot dirs, every blob named by its own digest. */
function assertStoreClean(root: string): void {
  assert.deepEqual(readdirSync(join(root, 'content', 'ingest')), [], 'no ingest files left');
  assert.deepEqual(readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('tmp-')), [], 'no tmp snapshot dirs left');
  const blobs = join(root, 'content', 'blobs', 'sha256');
  for (const name of readdirSync(blobs)) {
    assert.equal(sha256(readFileSync(join(blobs, name))), `sha256:${name}`, `blob ${name} holds what its name says`);
  }
}

function blobNames(root: string): string[] {
  return readdirSync(join(root, 'content', 'blobs', 'sha256')).map((n) => `sha256:${n}`);
}

async function assertFailedCleanly(root: string, ref: string): Promise<void> {
  assert.deepEqual(await listedImages(root), [], `${ref} is not listed`);
  assertStoreClean(root);
}

async function assertPulled(root: string, ref: string, img: FakeImage): Promise<void> {
  assert.deepEqual(await listedImages(root), [ref]);
  assertStoreClean(root);
  const blobs = blobNames(root);
  for (const d of [img.manifestDigest, img.configDigest, ...img.layerDigests]) assert.ok(blobs.includes(d), `blob ${d} stored`);
}

function challenge(reg: FakeRegistry, repo: string): string {
  return `Bearer realm="${reg.url}/token",service="fake",scope="repository:${repo}:pull"`;
}

function writeDockerConfig(host: string, user: string, pass: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dockercfg-'));
  roots.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } }));
  return dir;
}

/** Installs token auth on `reg`: /token checks Basic user:pass; everything under /v2/ needs `Bearer <token>`. */
function requireBearer(reg: FakeRegistry, opts: { user: string; pass: string; token: string; repo: string; acceptToken?: boolean }): { tokenQueries: URLSearchParams[] } {
  const tokenQueries: URLSearchParams[] = [];
  const basic = `Basic ${Buffer.from(`${opts.user}:${opts.pass}`).toString('base64')}`;
  reg.intercept((req, res, info) => {
    if (info.path === '/token') {
      tokenQueries.push(info.url.searchParams);
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return true;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: opts.token, expires_in: 300 }));
      return true;
    }
    if ((opts.acceptToken ?? true) && req.headers.authorization === `Bearer ${opts.token}`) return false;
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge(reg, opts.repo) });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return true;
  });
  return { tokenQueries };
}

describe('registry faults (fake registry)', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await FakeRegistry.start();
  });
  afterEach(() => {
    reg.reset();
    for (const c of roots.splice(0)) c();
  });
  after(async () => {
    await reg.close();
  });

  describe('lying content', () => {
    test('a prefetched layer whose bytes do not match its digest: digest mismatch, nothing stored', async () => {
      const img = twoLayerImage();
      reg.serveImage('lie/layer2', 'v1', img);
      reg.addBlob(flipByte(img.layers[1]!, Math.floor(img.layers[1]!.length / 2)), img.layerDigests[1]);
      const root = freshRoot();
      const ref = `${reg.host}/lie/layer2:v1`;
      const r = await runCli(['--root', root, 'pull', '-q', ref]);
      assert.equal(r.code, 125);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^skiff: .*digest mismatch/);
      assert.match(lines[0]!, new RegExp(img.layerDigests[1]!));
      await assertFailedCleanly(root, ref);
      assert.ok(!blobNames(root).includes(img.layerDigests[1]!));
    });

    test('the first (streamed) layer, uncompressed, with a changed byte: digest mismatch, no snapshot kept', async () => {
      const img = buildImage([layerTar('plain', 64 * 1024)], { compression: 'none' });
      reg.serveImage('lie/plain', 'v1', img);
      // Inside the random file's content, so the tar still parses and unpacking gets to the end.
      reg.addBlob(flipByte(img.layers[0]!, 512 * 2 + 1000), img.layerDigests[0]);
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/lie/plain:v1`);
      assertOneLineError(error, /digest mismatch/);
      await assertFailedCleanly(root, `${reg.host}/lie/plain:v1`);
      assert.deepEqual(readdirSync(join(root, 'snapshots')), []);
    });

    test('the first (streamed) gzip layer with a corrupted byte: refused, nothing stored', async () => {
      const img = twoLayerImage();
      reg.serveImage('lie/gz', 'v1', img);
      reg.addBlob(flipByte(img.layers[0]!, Math.floor(img.layers[0]!.length / 2)), img.layerDigests[0]);
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/lie/gz:v1`);
      assertOneLineError(error, /digest mismatch/);
      await assertFailedCleanly(root, `${reg.host}/lie/gz:v1`);
    });

    test('a config blob that does not match its digest: digest mismatch', async () => {
      const img = twoLayerImage();
      reg.serveImage('lie/config', 'v1', img);
      reg.addBlob(Buffer.from(img.config.toString().replace('2024', '2025')), img.configDigest);
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/lie/config:v1`);
      assertOneLineError(error, /digest mismatch/);
      await assertFailedCleanly(root, `${reg.host}/lie/config:v1`);
      assert.ok(!blobNames(root).includes(img.configDigest));
    });

    test('pulled by digest, the registry sends another manifest: refused', async () => {
      const img = twoLayerImage();
      const other = twoLayerImage();
      reg.serveImage('lie/bydigest', 'v1', other);
      reg.addManifest('lie/bydigest', img.manifestDigest, other.manifest, OCI.manifest, img.manifestDigest);
      const root = freshRoot();
      const ref = `${reg.host}/lie/bydigest@${img.manifestDigest}`;
      const { error } = await pullOp(root, ref);
      assertOneLineError(error, /manifest digest mismatch/);
      await assertFailedCleanly(root, ref);
      assert.deepEqual(blobNames(root), [], 'nothing stored');
      assert.equal(reg.count(reg.blobPath('lie/bydigest', other.configDigest)), 0, 'nothing fetched after the manifest');
    });

    test('pulled by tag, Docker-Content-Digest contradicts the body: refused', async () => {
      const img = twoLayerImage();
      reg.serveImage('lie/header', 'v1', img);
      reg.addManifest('lie/header', 'v1', img.manifest, OCI.manifest, sha256('something else'));
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/lie/header:v1`);
      assertOneLineError(error, /manifest digest mismatch/);
      await assertFailedCleanly(root, `${reg.host}/lie/header:v1`);
    });
  });

  describe('server errors and rate limits', () => {
    test('500, 500, then success: pulled', async () => {
      const img = twoLayerImage();
      reg.serveImage('flaky/500', 'v1', img);
      const mpath = reg.manifestPath('flaky/500', 'v1');
      const bpath = reg.blobPath('flaky/500', img.layerDigests[1]!);
      reg.intercept((_req, res, info) => {
        if ((info.path === mpath || info.path === bpath) && info.nth <= 2) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end('{"errors":[{"code":"UNKNOWN","message":"boom"}]}');
          return true;
        }
        return false;
      });
      const root = freshRoot();
      const ref = `${reg.host}/flaky/500:v1`;
      const { result, error } = await pullOp(root, ref);
      assert.equal(error, undefined);
      assert.equal(result!.image.digest, img.manifestDigest);
      assert.equal(reg.count(mpath), 3);
      assert.equal(reg.count(bpath), 3);
      await assertPulled(root, ref, img);
    });

    test('500, 500, then success through the CLI (default retry policy)', async () => {
      const img = twoLayerImage();
      reg.serveImage('flaky/cli', 'v1', img);
      const mpath = reg.manifestPath('flaky/cli', 'v1');
      reg.intercept((_req, res, info) => {
        if (info.path === mpath && info.nth <= 2) {
          res.writeHead(500);
          res.end();
          return true;
        }
        return false;
      });
      const root = freshRoot();
      const ref = `${reg.host}/flaky/cli:v1`;
      const r = await runCli(['--root', root, 'pull', '-q', ref]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), ref);
      await assertPulled(root, ref, img);
    });

    test('a 503 storm beyond the retry budget: clear failure after retries+1 attempts', async () => {
      const img = twoLayerImage();
      reg.serveImage('flaky/503', 'v1', img);
      const bpath = reg.blobPath('flaky/503', img.layerDigests[0]!);
      reg.intercept((_req, res, info) => {
        if (info.path !== bpath) return false;
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/flaky/503:v1`;
      const { error, ms } = await pullOp(root, ref);
      assertOneLineError(error, /503 Service Unavailable/);
      assert.equal(reg.count(bpath), FAST_RETRY.retries + 1);
      assert.ok(ms < 5000, `gave up in ${ms} ms`);
      await assertFailedCleanly(root, ref);
    });

    test('429 with Retry-After: 1 is waited for, then pulled', async () => {
      const img = twoLayerImage();
      reg.serveImage('limit/short', 'v1', img);
      const mpath = reg.manifestPath('limit/short', 'v1');
      const times: number[] = [];
      reg.intercept((_req, res, info) => {
        if (info.path !== mpath) return false;
        times.push(Date.now());
        if (info.nth > 1) return false;
        res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/limit/short:v1`;
      const { error } = await pullOp(root, ref);
      assert.equal(error, undefined);
      assert.equal(times.length, 2);
      const waited = times[1]! - times[0]!;
      assert.ok(waited >= 950, `waited ${waited} ms for Retry-After: 1`);
      assert.ok(waited < 3000, `waited ${waited} ms`);
      await assertPulled(root, ref, img);
    });

    test('Retry-After larger than maxDelayMs: clear failure without waiting', async () => {
      const img = twoLayerImage();
      reg.serveImage('limit/long', 'v1', img);
      const mpath = reg.manifestPath('limit/long', 'v1');
      reg.intercept((_req, res, info) => {
        if (info.path !== mpath) return false;
        res.writeHead(429, { 'Retry-After': '3600' });
        res.end();
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/limit/long:v1`;
      const { error, ms } = await pullOp(root, ref);
      assertOneLineError(error, /retry after 3600s.*429/);
      assert.equal(reg.count(mpath), 1);
      assert.ok(ms < 1500, `failed in ${ms} ms`);
      await assertFailedCleanly(root, ref);
    });
  });

  describe('broken downloads', () => {
    for (const which of [0, 1] as const) {
      test(`layer ${which} truncated mid-way (full Content-Length, then reset): resumed with Range`, async () => {
        const img = twoLayerImage();
        const repo = `broken/trunc${which}`;
        reg.serveImage(repo, 'v1', img);
        const blob = img.layers[which]!;
        const bpath = reg.blobPath(repo, img.layerDigests[which]!);
        reg.intercept((_req, res, info) => {
          if (info.path !== bpath || info.nth !== 1) return false;
          sendTruncated(res, blob, Math.floor(blob.length / 2));
          return true;
        });
        const root = freshRoot();
        const ref = `${reg.host}/${repo}:v1`;
        const { error } = await pullOp(root, ref);
        assert.equal(error, undefined);
        const seen = reg.headersSeen(bpath);
        assert.equal(seen.length, 2);
        assert.equal(seen[0]!.range, undefined);
        const m = /^bytes=(\d+)-$/.exec(seen[1]!.range ?? '');
        assert.ok(m, `second request resumes with a Range header (got ${seen[1]!.range})`);
        assert.ok(Number(m[1]) > 0 && Number(m[1]) <= blob.length / 2, `resumed at ${m[1]}`);
        await assertPulled(root, ref, img);
      });
    }

    test('a Range request answered with 200 and the whole blob: still a correct blob', async () => {
      const img = twoLayerImage();
      reg.serveImage('broken/norange', 'v1', img);
      const blobs = img.layers;
      const paths = img.layerDigests.map((d) => reg.blobPath('broken/norange', d));
      reg.intercept((req, res, info) => {
        const i = paths.indexOf(info.path);
        if (i < 0) return false;
        if (info.nth === 1) {
          sendTruncated(res, blobs[i]!, Math.floor(blobs[i]!.length / 3));
          return true;
        }
        // A server that ignores Range.
        delete req.headers.range;
        sendBlob(req, res, blobs[i]!, img.layerDigests[i]!);
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/broken/norange:v1`;
      const { error } = await pullOp(root, ref);
      assert.equal(error, undefined);
      for (const p of paths) assert.match(reg.headersSeen(p)[1]?.range ?? '', /^bytes=\d+-$/);
      await assertPulled(root, ref, img);
    });

    test('a stalled blob (headers, some bytes, then nothing) is resumed within bounded time', async () => {
      const img = twoLayerImage();
      reg.serveImage('broken/stall', 'v1', img);
      const blob = img.layers[0]!;
      const bpath = reg.blobPath('broken/stall', img.layerDigests[0]!);
      reg.intercept((_req, res, info) => {
        if (info.path !== bpath || info.nth !== 1) return false;
        res.writeHead(200, { 'Content-Length': String(blob.length) });
        res.write(blob.subarray(0, 1000));
        reg.hold(res);
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/broken/stall:v1`;
      const { error, ms } = await pullWithin(reg, 8000, root, ref, { timeoutMs: 300 });
      assert.equal(error, undefined);
      assert.ok(ms < 5000, `took ${ms} ms`);
      assert.match(reg.headersSeen(bpath)[1]?.range ?? '', /^bytes=1000-$/);
      await assertPulled(root, ref, img);
    });

    test('a blob that always stalls after its headers: clear failure within bounded time', async () => {
      const img = twoLayerImage();
      reg.serveImage('broken/stallall', 'v1', img);
      const bpath = reg.blobPath('broken/stallall', img.layerDigests[0]!);
      reg.intercept((_req, res, info) => {
        if (info.path !== bpath) return false;
        res.writeHead(200, { 'Content-Length': String(img.layers[0]!.length) });
        res.flushHeaders();
        reg.hold(res);
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/broken/stallall:v1`;
      const { error, ms } = await pullWithin(reg, 8000, root, ref, { timeoutMs: 200 });
      assertOneLineError(error, /download of sha256:[0-9a-f]{64} failed: connection stalled: no data for 200 ms/);
      assert.ok(ms < 6000, `took ${ms} ms`);
      await assertFailedCleanly(root, ref);
    });

    test('a blob request that gets no response at all, once: retried, pulled', async () => {
      const img = twoLayerImage();
      reg.serveImage('broken/noheaders', 'v1', img);
      const bpath = reg.blobPath('broken/noheaders', img.layerDigests[1]!);
      reg.intercept((_req, res, info) => {
        if (info.path !== bpath || info.nth !== 1) return false;
        reg.hold(res);
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/broken/noheaders:v1`;
      const { error, ms } = await pullWithin(reg, 8000, root, ref, { timeoutMs: 300 });
      assert.equal(error?.message, undefined);
      assert.ok(ms < 5000, `took ${ms} ms`);
      assert.equal(reg.count(bpath), 2);
      await assertPulled(root, ref, img);
    });

    test('a manifest that stalls after its headers: retried or failed within bounded time, not hung', async () => {
      const img = twoLayerImage();
      reg.serveImage('broken/mstall', 'v1', img);
      const mpath = reg.manifestPath('broken/mstall', 'v1');
      reg.intercept((_req, res, info) => {
        if (info.path !== mpath || info.nth !== 1) return false;
        res.writeHead(200, { 'Content-Type': OCI.manifest, 'Content-Length': String(img.manifest.length) });
        res.write(img.manifest.subarray(0, 10));
        reg.hold(res);
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/broken/mstall:v1`;
      const { error } = await pullWithin(reg, 5000, root, ref, { timeoutMs: 300 });
      assert.equal(error?.message, undefined);
      assert.equal(reg.count(mpath), 2);
      await assertPulled(root, ref, img);
    });
    test('a manifest that always stalls after its headers: clear failure within bounded time', async () => {
      const img = twoLayerImage();
      reg.serveImage('broken/mstallall', 'v1', img);
      const mpath = reg.manifestPath('broken/mstallall', 'v1');
      reg.intercept((_req, res, info) => {
        if (info.path !== mpath) return false;
        res.writeHead(200, { 'Content-Type': OCI.manifest, 'Content-Length': String(img.manifest.length) });
        res.flushHeaders();
        reg.hold(res);
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/broken/mstallall:v1`;
      const { error, ms } = await pullWithin(reg, 8000, root, ref, { timeoutMs: 200 });
      assertOneLineError(error, /reading manifest from .*: connection stalled: no data for 200 ms/);
      assert.equal(reg.count(mpath), FAST_RETRY.retries + 1);
      assert.ok(ms < 5000, `took ${ms} ms`);
      await assertFailedCleanly(root, ref);
    });
  });

  describe('authentication', () => {
    test('Bearer token flow with credentials from DOCKER_CONFIG; one token per scope', async () => {
      const img = twoLayerImage();
      reg.serveImage('x', 'v1', img);
      const { tokenQueries } = requireBearer(reg, { user: 'alice', pass: 's3cret:with:colons', token: 'tok-123', repo: 'x' });
      const dockerConfig = writeDockerConfig(reg.host, 'alice', 's3cret:with:colons');
      const root = freshRoot();
      const ref = `${reg.host}/x:v1`;
      const r = await runCli(['--root', root, 'pull', '-q', ref], { DOCKER_CONFIG: dockerConfig });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), ref);
      assert.equal(reg.count('/token'), 1, 'token requested once and cached');
      assert.equal(tokenQueries[0]!.get('scope'), 'repository:x:pull');
      assert.equal(tokenQueries[0]!.get('service'), 'fake');
      for (const d of [img.configDigest, ...img.layerDigests]) {
        assert.deepEqual(reg.authSeen(reg.blobPath('x', d)), ['Bearer tok-123'], `blob ${d} fetched once, with the token`);
      }
      await assertPulled(root, ref, img);
    });

    test('wrong credentials: clear auth error', async () => {
      const img = twoLayerImage();
      reg.serveImage('x', 'v1', img);
      requireBearer(reg, { user: 'alice', pass: 'right', token: 'tok-123', repo: 'x' });
      const dockerConfig = writeDockerConfig(reg.host, 'alice', 'wrong');
      const root = freshRoot();
      const ref = `${reg.host}/x:v1`;
      const r = await runCli(['--root', root, 'pull', '-q', ref], { DOCKER_CONFIG: dockerConfig });
      assert.equal(r.code, 125);
      assert.match(r.stderr.trim(), /^skiff: token request to .* failed: 401 .*check credentials/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      await assertFailedCleanly(root, ref);
    });

    test('401 loop (token accepted, resource still 401): clear auth error, no loop', async () => {
      const img = twoLayerImage();
      reg.serveImage('x', 'v1', img);
      requireBearer(reg, { user: 'alice', pass: 'pw', token: 'tok-123', repo: 'x', acceptToken: false });
      const dockerConfig = writeDockerConfig(reg.host, 'alice', 'pw');
      const root = freshRoot();
      const ref = `${reg.host}/x:v1`;
      const { error, ms } = await pullOp(root, ref, { env: { DOCKER_CONFIG: dockerConfig } });
      assertOneLineError(error, /access to x denied \(401\)/);
      assert.ok(reg.count(reg.manifestPath('x', 'v1')) <= 3, `manifest requested ${reg.count(reg.manifestPath('x', 'v1'))} times`);
      assert.ok(reg.count('/token') <= 2, `token requested ${reg.count('/token')} times`);
      assert.ok(ms < 3000);
      await assertFailedCleanly(root, ref);
    });

    test('a token realm on another host: credentials go there only over TLS or on this machine', async () => {
      // Over plain http to a host that is not this machine: refused before any connection.
      const img = twoLayerImage();
      reg.serveImage('x', 'v1', img);
      reg.intercept((_req, res) => {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="http://192.0.2.1/token",service="elsewhere",scope="repository:x:pull"' });
        res.end();
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/x:v1`;
      const { error } = await pullOp(root, ref, { env: { DOCKER_CONFIG: writeDockerConfig(reg.host, 'alice', 'pw') } });
      assertOneLineError(error, /refusing to send credentials to token realm over plain http \(192\.0\.2\.1\)/);
      await assertFailedCleanly(root, ref);
      reg.reset();
      // A realm on another loopback port (another server here): the token comes from there and is used.
      const auth = await FakeRegistry.start();
      try {
        reg.serveImage('x', 'v1', img);
        const basic = `Basic ${Buffer.from('alice:pw').toString('base64')}`;
        auth.intercept((req, res, info) => {
          if (info.path !== '/token') return false;
          res.writeHead(req.headers.authorization === basic ? 200 : 401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ token: 'remote-tok' }));
          return true;
        });
        reg.intercept((req, res) => {
          if (req.headers.authorization === 'Bearer remote-tok') return false;
          res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${auth.url}/token",service="auth",scope="repository:x:pull"` });
          res.end();
          return true;
        });
        const ok = await pullOp(freshRoot(), ref, { env: { DOCKER_CONFIG: writeDockerConfig(reg.host, 'alice', 'pw') } });
        assert.equal(ok.error?.message, undefined);
        assert.equal(auth.count('/token'), 1, 'one token, from the realm');
      } finally {
        await auth.close();
      }
    });

    test('anonymous pull from a registry that wants a token: token fetched without credentials', async () => {
      const img = twoLayerImage();
      reg.serveImage('x', 'v1', img);
      reg.intercept((req, res, info) => {
        if (info.path === '/token') {
          assert.equal(req.headers.authorization, undefined);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ access_token: 'anon-tok' }));
          return true;
        }
        if (req.headers.authorization === 'Bearer anon-tok') return false;
        res.writeHead(401, { 'WWW-Authenticate': challenge(reg, 'x') });
        res.end();
        return true;
      });
      const root = freshRoot();
      const ref = `${reg.host}/x:v1`;
      const { error } = await pullOp(root, ref);
      assert.equal(error?.message, undefined);
      assert.equal(reg.count('/token'), 1);
      await assertPulled(root, ref, img);
    });

    test('a blob redirected (307) to another host: pulled, and that host never sees Authorization', async () => {
      const cdn = await FakeRegistry.start();
      try {
        const img = twoLayerImage();
        reg.serveImage('x', 'v1', img);
        for (const [i, l] of img.layers.entries()) cdn.addBlob(l, img.layerDigests[i]);
        requireBearer(reg, { user: 'bob', pass: 'pw', token: 'tok-456', repo: 'x' });
        const layerPaths = img.layerDigests.map((d) => reg.blobPath('x', d));
        // Handlers run in order: only requests that passed the token check get redirected.
        reg.intercept((_req, res, info) => {
          const i = layerPaths.indexOf(info.path);
          if (i < 0) return false;
          res.writeHead(307, { Location: `${cdn.url}/blobs/${img.layerDigests[i]}?sig=abc` });
          res.end();
          return true;
        });
        cdn.intercept((req, res, info) => {
          const m = /^\/blobs\/(sha256:[0-9a-f]{64})$/.exec(info.path);
          if (!m) return false;
          sendBlob(req, res, cdn.blobs.get(m[1]!)!, m[1]!);
          return true;
        });
        const dockerConfig = writeDockerConfig(reg.host, 'bob', 'pw');
        const root = freshRoot();
        const ref = `${reg.host}/x:v1`;
        const { error } = await pullOp(root, ref, { env: { DOCKER_CONFIG: dockerConfig } });
        assert.equal(error?.message, undefined);
        for (const p of layerPaths) assert.deepEqual(reg.authSeen(p), ['Bearer tok-456'], 'the registry saw the token');
        assert.equal(cdn.requests.length, 2, 'both layers came from the other host');
        for (const r of cdn.requests) assert.equal(r.headers.authorization, undefined, `${r.path} reached the other host without Authorization`);
        await assertPulled(root, ref, img);
      } finally {
        await cdn.close();
      }
    });
  });

  describe('documents skiff refuses', () => {
    test('schema 1 manifest: clear error', async () => {
      const body = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'old/app', tag: 'v1', architecture: 'amd64', fsLayers: [], history: [], signatures: [] }));
      reg.addManifest('old/app', 'v1', body, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
      const root = freshRoot();
      const ref = `${reg.host}/old/app:v1`;
      const r = await runCli(['--root', root, 'pull', ref]);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^skiff: .*schema 1/m);
      // The same with a generic content type: the body gives it away.
      reg.addManifest('old/app', 'v2', body, 'application/json');
      const { error } = await pullOp(root, `${reg.host}/old/app:v2`);
      assertOneLineError(error, /schema 1/);
      await assertFailedCleanly(root, ref);
    });

    test('manifest over 4 MiB: refused (declared length and chunked)', async () => {
      const img = twoLayerImage({ manifestExtra: { annotations: { pad: 'x'.repeat(4 * 1024 * 1024 + 10) } } });
      reg.serveImage('big/manifest', 'v1', img);
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/big/manifest:v1`);
      assertOneLineError(error, /manifest is \d+ bytes, over the 4194304-byte limit/);
      // Chunked, no Content-Length: counted while reading.
      const mpath = reg.manifestPath('big/manifest', 'chunked');
      reg.intercept((_req, res, info) => {
        if (info.path !== mpath) return false;
        res.writeHead(200, { 'Content-Type': OCI.manifest });
        for (let off = 0; off < img.manifest.length; off += 256 * 1024) res.write(img.manifest.subarray(off, off + 256 * 1024));
        res.end();
        return true;
      });
      const chunked = await pullOp(root, `${reg.host}/big/manifest:chunked`);
      assertOneLineError(chunked.error, /manifest is over the 4194304-byte limit/);
      await assertFailedCleanly(root, `${reg.host}/big/manifest:v1`);
      assert.deepEqual(blobNames(root), []);
    });

    test('Content-Type contradicting the body\'s mediaType: refused', async () => {
      const img = twoLayerImage();
      reg.serveImage('odd/ctype', 'v1', img);
      reg.addManifest('odd/ctype', 'v1', img.manifest, OCI.index);
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/odd/ctype:v1`);
      assertOneLineError(error, /contradicts/);
      await assertFailedCleanly(root, `${reg.host}/odd/ctype:v1`);
    });

    test('a document that is both an index and a manifest: refused', async () => {
      const img = twoLayerImage();
      const both = twoLayerImage({ manifestExtra: { manifests: [{ mediaType: OCI.manifest, digest: img.manifestDigest, size: img.manifest.length, platform: { os: 'linux', architecture: 'amd64' } }] } });
      reg.serveImage('odd/both', 'v1', img);
      reg.addManifest('odd/both', 'v1', both.manifest, OCI.manifest);
      const root = freshRoot();
      const { error } = await pullOp(root, `${reg.host}/odd/both:v1`);
      assertOneLineError(error, /both an index and a manifest/);
      await assertFailedCleanly(root, `${reg.host}/odd/both:v1`);
    });

    test('zstd layer: clear "not supported yet", nothing downloaded', async () => {
      const img = twoLayerImage({ layerMediaType: OCI.layerZstd });
      reg.serveImage('odd/zstd', 'v1', img);
      const root = freshRoot();
      const ref = `${reg.host}/odd/zstd:v1`;
      const r = await runCli(['--root', root, 'pull', ref]);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^skiff: zstd-compressed layers .* not supported yet/m);
      for (const d of img.layerDigests) assert.equal(reg.count(reg.blobPath('odd/zstd', d)), 0);
      await assertFailedCleanly(root, ref);
    });
  });
});
