// Table tests for the registry client's pure parts: WWW-Authenticate challenges as real
// registries send them, Retry-After and retryable statuses, and credentials from a docker
// config.json.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Challenge, parseChallenges } from '../../src/registry/challenge.js';
import { lookupCredentials } from '../../src/registry/docker-config.js';
import { DEFAULT_RETRY, backoffMs, isRetryableError, isRetryableStatus, parseRetryAfter } from '../../src/registry/retry.js';

describe('parseChallenges', () => {
  const cases: [string, string | null | undefined, Challenge[]][] = [
    [
      'Docker Hub',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    ],
    [
      'GHCR',
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:owner/image:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:owner/image:pull' } }],
    ],
    [
      'Quay (no scope)',
      'Bearer realm="https://quay.io/v2/auth",service="quay.io"',
      [{ scheme: 'bearer', params: { realm: 'https://quay.io/v2/auth', service: 'quay.io' } }],
    ],
    [
      'distribution with htpasswd',
      'Basic realm="Registry Realm"',
      [{ scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ],
    [
      'ECR',
      'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
      [{ scheme: 'basic', params: { realm: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/', service: 'ecr.amazonaws.com' } }],
    ],
    [
      'commas inside a quoted scope',
      'Bearer realm="https://r.example/token",service="r.example",scope="repository:app:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://r.example/token', service: 'r.example', scope: 'repository:app:pull,push' } }],
    ],
    [
      'several scopes, space-separated, with commas',
      'Bearer realm="https://r/token",service="r",scope="repository:a:pull repository:b:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://r/token', service: 'r', scope: 'repository:a:pull repository:b:pull,push' } }],
    ],
    [
      'insufficient_scope error',
      'Bearer realm="https://r/token",service="r",error="insufficient_scope",scope="repository:x:push"',
      [{ scheme: 'bearer', params: { realm: 'https://r/token', service: 'r', error: 'insufficient_scope', scope: 'repository:x:push' } }],
    ],
    [
      'two challenges, Bearer first',
      'Bearer realm="https://a/token",service="a", Basic realm="b"',
      [
        { scheme: 'bearer', params: { realm: 'https://a/token', service: 'a' } },
        { scheme: 'basic', params: { realm: 'b' } },
      ],
    ],
    [
      'two challenges, Basic first, no space after the comma',
      'Basic realm="b",Bearer realm="https://a/token",service="a"',
      [
        { scheme: 'basic', params: { realm: 'b' } },
        { scheme: 'bearer', params: { realm: 'https://a/token', service: 'a' } },
      ],
    ],
    [
      'a parameterless challenge before another (two headers joined by fetch)',
      'Negotiate, Basic realm="corp"',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'corp' } },
      ],
    ],
    [
      'scheme and parameter names are case-insensitive',
      'bearer REALM="https://a/token", Service="a"',
      [{ scheme: 'bearer', params: { realm: 'https://a/token', service: 'a' } }],
    ],
    [
      'escaped quote in a quoted value',
      'Bearer realm="https://a/token",service="say \\"hi\\""',
      [{ scheme: 'bearer', params: { realm: 'https://a/token', service: 'say "hi"' } }],
    ],
    [
      'unquoted values and spaces around =',
      'Bearer realm = https://a/token , service = a',
      [{ scheme: 'bearer', params: { realm: 'https://a/token', service: 'a' } }],
    ],
    ['scheme alone', 'Basic', [{ scheme: 'basic', params: {} }]],
    ['empty header', '', []],
    ['no header', null, []],
    ['undefined', undefined, []],
  ];
  for (const [name, header, want] of cases) {
    test(name, () => {
      assert.deepEqual(parseChallenges(header), want);
    });
  }
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  const cases: [string | null | undefined, number | undefined][] = [
    ['1', 1000],
    ['0', 0],
    ['120', 120_000],
    [' 5 ', 5000],
    ['Wed, 21 Oct 2015 07:28:30 GMT', 30_000], // IMF-fixdate
    ['Wednesday, 21-Oct-15 07:29:00 GMT', 60_000], // obsolete RFC 850 form
    ['Wed, 21 Oct 2015 07:00:00 GMT', 0], // in the past: no wait
    ['soon', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ];
  for (const [value, want] of cases) {
    test(`${JSON.stringify(value)} -> ${want}`, () => {
      assert.equal(parseRetryAfter(value, now), want);
    });
  }
});

describe('isRetryableStatus', () => {
  for (const s of [408, 429, 500, 502, 503, 504]) test(`${s} is retried`, () => assert.equal(isRetryableStatus(s), true));
  for (const s of [200, 206, 400, 401, 403, 404, 405, 416, 501, 505]) test(`${s} is not retried`, () => assert.equal(isRetryableStatus(s), false));
});

describe('isRetryableError and backoffMs', () => {
  test('network errors and aborts are retryable, others not', () => {
    assert.equal(isRetryableError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(isRetryableError(Object.assign(new Error('x'), { name: 'AbortError' })), true);
    assert.equal(isRetryableError(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ETIMEDOUT' }) })), true);
    assert.equal(isRetryableError(new TypeError('bad')), false);
    assert.equal(isRetryableError(Object.assign(new Error('denied'), { code: 'EACCES' })), false);
  });

  test('backoff grows and is capped by maxDelayMs', () => {
    for (let n = 0; n < 6; n++) {
      const base = DEFAULT_RETRY.baseDelayMs * 2 ** n;
      const d = backoffMs(DEFAULT_RETRY, n);
      assert.ok(d >= base / 2 && d <= base, `attempt ${n}: ${d}`);
    }
    assert.ok(backoffMs({ retries: 1, baseDelayMs: 1000, maxDelayMs: 1500 }, 10) <= 1500);
  });
});

describe('lookupCredentials', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function dockerConfig(content: unknown): NodeJS.ProcessEnv {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dockercfg-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content));
    return { DOCKER_CONFIG: dir };
  }
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  test('auth is base64 user:password (the password may contain colons)', () => {
    const env = dockerConfig({ auths: { 'registry.example.com': { auth: b64('alice:pa:ss') } } });
    assert.deepEqual(lookupCredentials('registry.example.com', env), { username: 'alice', password: 'pa:ss' });
  });

  test('username and password fields', () => {
    const env = dockerConfig({ auths: { 'registry.example.com:5000': { username: 'bob', password: 'pw' } } });
    assert.deepEqual(lookupCredentials('registry.example.com:5000', env), { username: 'bob', password: 'pw' });
  });

  test('identitytoken', () => {
    const env = dockerConfig({ auths: { 'r.example': { auth: b64('<token>:'), identitytoken: 'refresh-me' } } });
    assert.deepEqual(lookupCredentials('r.example', env), { username: '<token>', password: '', identityToken: 'refresh-me' });
  });

  for (const key of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io']) {
    test(`docker hub under ${key}`, () => {
      const env = dockerConfig({ auths: { [key]: { auth: b64('hubuser:hubpass') } } });
      assert.deepEqual(lookupCredentials('docker.io', env), { username: 'hubuser', password: 'hubpass' });
    });
  }

  test('keys with a scheme and path, any case, match the host', () => {
    const env = dockerConfig({ auths: { 'https://Registry.Example.com/v2/': { auth: b64('u:p') } } });
    assert.deepEqual(lookupCredentials('registry.example.com', env), { username: 'u', password: 'p' });
  });

  test('the port is part of the host', () => {
    const env = dockerConfig({ auths: { 'localhost:5000': { auth: b64('u:p') } } });
    assert.equal(lookupCredentials('localhost:5001', env), undefined);
    assert.equal(lookupCredentials('localhost', env), undefined);
    assert.deepEqual(lookupCredentials('localhost:5000', env), { username: 'u', password: 'p' });
  });

  test('another registry\'s credentials are not used; docker hub\'s are not used for others', () => {
    const env = dockerConfig({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:x') }, 'other.example': { auth: b64('o:y') } } });
    assert.equal(lookupCredentials('ghcr.io', env), undefined);
    assert.deepEqual(lookupCredentials('other.example', env), { username: 'o', password: 'y' });
  });

  test('an empty entry (credsStore in use) is skipped for one that has credentials', () => {
    const env = dockerConfig({ credsStore: 'desktop', auths: { 'https://index.docker.io/v1/': {}, 'docker.io': { auth: b64('hub:x') } } });
    assert.deepEqual(lookupCredentials('docker.io', env), { username: 'hub', password: 'x' });
  });

  test('auth without a colon or without a user gives nothing', () => {
    assert.equal(lookupCredentials('r.example', dockerConfig({ auths: { 'r.example': { auth: b64('nocolon') } } })), undefined);
    assert.equal(lookupCredentials('r.example', dockerConfig({ auths: { 'r.example': { auth: b64(':onlypass') } } })), undefined);
  });

  test('missing file, missing dir, invalid JSON, no auths: undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dockercfg-'));
    dirs.push(dir);
    assert.equal(lookupCredentials('r.example', { DOCKER_CONFIG: dir }), undefined);
    assert.equal(lookupCredentials('r.example', { DOCKER_CONFIG: join(dir, 'nope') }), undefined);
    assert.equal(lookupCredentials('r.example', dockerConfig('{not json')), undefined);
    assert.equal(lookupCredentials('r.example', dockerConfig({ credHelpers: {} })), undefined);
  });

  test('without DOCKER_CONFIG, $HOME/.docker/config.json is read', () => {
    const home = mkdtempSync(join(tmpdir(), 'skiff-home-'));
    dirs.push(home);
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'r.example': { auth: b64('h:p') } } }));
    assert.deepEqual(lookupCredentials('r.example', { HOME: home }), { username: 'h', password: 'p' });
  });
});
