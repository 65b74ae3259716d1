// Table tests for src/oci/reference.ts: docker-style normalization, validation, display forms.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { type Reference, familiarName, formatReference, parseReference, registryHost, repositoryName } from '../../src/oci/reference.js';

const HEX = 'a'.repeat(64);
const HEX2 = '0123456789abcdef'.repeat(4);

interface ValidCase {
  input: string;
  want: Reference;
  canonical: string;
}

const valid: ValidCase[] = [
  { input: 'busybox', want: { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, canonical: 'docker.io/library/busybox:latest' },
  { input: 'busybox:1.36', want: { domain: 'docker.io', path: 'library/busybox', tag: '1.36' }, canonical: 'docker.io/library/busybox:1.36' },
  { input: 'library/busybox', want: { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, canonical: 'docker.io/library/busybox:latest' },
  { input: 'docker.io/busybox', want: { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, canonical: 'docker.io/library/busybox:latest' },
  { input: 'docker.io/library/busybox:latest', want: { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, canonical: 'docker.io/library/busybox:latest' },
  { input: 'user/repo:tag', want: { domain: 'docker.io', path: 'user/repo', tag: 'tag' }, canonical: 'docker.io/user/repo:tag' },
  { input: 'user/repo', want: { domain: 'docker.io', path: 'user/repo', tag: 'latest' }, canonical: 'docker.io/user/repo:latest' },
  { input: 'localhost/x', want: { domain: 'localhost', path: 'x', tag: 'latest' }, canonical: 'localhost/x:latest' },
  { input: 'localhost:5000/a/b:c', want: { domain: 'localhost:5000', path: 'a/b', tag: 'c' }, canonical: 'localhost:5000/a/b:c' },
  { input: '127.0.0.1:5000/a', want: { domain: '127.0.0.1:5000', path: 'a', tag: 'latest' }, canonical: '127.0.0.1:5000/a:latest' },
  { input: '[::1]:5000/a', want: { domain: '[::1]:5000', path: 'a', tag: 'latest' }, canonical: '[::1]:5000/a:latest' },
  { input: '[::1]/a:v1', want: { domain: '[::1]', path: 'a', tag: 'v1' }, canonical: '[::1]/a:v1' },
  {
    input: `host.example.com/ns/sub/repo@sha256:${HEX}`,
    want: { domain: 'host.example.com', path: 'ns/sub/repo', digest: `sha256:${HEX}` },
    canonical: `host.example.com/ns/sub/repo@sha256:${HEX}`,
  },
  {
    input: `repo:tag@sha256:${HEX2}`,
    want: { domain: 'docker.io', path: 'library/repo', tag: 'tag', digest: `sha256:${HEX2}` },
    canonical: `docker.io/library/repo:tag@sha256:${HEX2}`,
  },
  {
    input: `localhost:5000/repo:v2@sha256:${HEX}`,
    want: { domain: 'localhost:5000', path: 'repo', tag: 'v2', digest: `sha256:${HEX}` },
    canonical: `localhost:5000/repo:v2@sha256:${HEX}`,
  },
  { input: 'index.docker.io/busybox', want: { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, canonical: 'docker.io/library/busybox:latest' },
  { input: 'index.docker.io/user/repo:1', want: { domain: 'docker.io', path: 'user/repo', tag: '1' }, canonical: 'docker.io/user/repo:1' },
  { input: 'registry-1.docker.io/library/alpine', want: { domain: 'docker.io', path: 'library/alpine', tag: 'latest' }, canonical: 'docker.io/library/alpine:latest' },
  { input: 'Example.COM/ns/app', want: { domain: 'example.com', path: 'ns/app', tag: 'latest' }, canonical: 'example.com/ns/app:latest' },
  { input: 'a-b.c-d.e/f_g--h__i.j:T_a.g-1', want: { domain: 'a-b.c-d.e', path: 'f_g--h__i.j', tag: 'T_a.g-1' }, canonical: 'a-b.c-d.e/f_g--h__i.j:T_a.g-1' },
  { input: 'ghcr.io/org/tool', want: { domain: 'ghcr.io', path: 'org/tool', tag: 'latest' }, canonical: 'ghcr.io/org/tool:latest' },
  // A port-like suffix without a slash is a tag, as docker reads it.
  { input: 'localhost:5000', want: { domain: 'docker.io', path: 'library/localhost', tag: '5000' }, canonical: 'docker.io/library/localhost:5000' },
  { input: `x:${'t'.repeat(128)}`, want: { domain: 'docker.io', path: 'library/x', tag: 't'.repeat(128) }, canonical: `docker.io/library/x:${'t'.repeat(128)}` },
];

interface InvalidCase {
  name: string;
  input: string;
  message: RegExp;
}

const longName = `host.io/${'a'.repeat(247)}`; // 7 + 1 + 247 = 255: allowed
const tooLongName = `host.io/${'a'.repeat(248)}`; // 256

const invalid: InvalidCase[] = [
  { name: 'uppercase repository', input: 'Busybox', message: /must be lowercase/ },
  { name: 'uppercase path component', input: 'example.com/NS/app', message: /must be lowercase/ },
  { name: 'empty', input: '', message: /empty/ },
  { name: 'empty tag', input: 'busybox:', message: /bad tag/ },
  { name: 'bad tag characters', input: 'busybox:a+b', message: /bad tag/ },
  { name: 'tag starting with a dot', input: 'busybox:.x', message: /bad tag/ },
  { name: 'tag starting with a dash', input: 'busybox:-x', message: /bad tag/ },
  { name: 'tag longer than 128', input: `busybox:${'t'.repeat(129)}`, message: /bad tag/ },
  { name: 'digest with short hex', input: 'busybox@sha256:abc', message: /digest must be sha256/ },
  { name: 'digest with uppercase hex', input: `busybox@sha256:${'A'.repeat(64)}`, message: /digest must be sha256/ },
  { name: 'sha512 with wrong length', input: `busybox@sha512:${'a'.repeat(64)}`, message: /digest must be sha256/ },
  { name: 'digest without algorithm', input: `busybox@${HEX}`, message: /digest must be sha256/ },
  { name: 'empty digest', input: 'busybox@', message: /digest must be sha256/ },
  { name: 'trailing slash', input: 'busybox/', message: /bad repository name component ""/ },
  { name: 'double slash', input: 'user//repo', message: /bad repository name component ""/ },
  { name: 'leading slash', input: '/busybox', message: /bad repository name component ""/ },
  { name: 'registry host only', input: 'localhost:5000/', message: /missing repository name/ },
  { name: 'name only a digest', input: `@sha256:${HEX}`, message: /missing repository name/ },
  { name: 'bad component separator', input: 'user/re..po', message: /bad repository name component/ },
  { name: 'component ending in separator', input: 'user/repo-', message: /bad repository name component/ },
  { name: 'bad registry port', input: 'a:b/c', message: /bad registry host/ },
  { name: 'space', input: 'bad name', message: /bad repository name component/ },
  { name: 'name longer than 255', input: tooLongName, message: /longer than 255/ },
  { name: 'short name longer than 255 once normalized', input: 'a'.repeat(240), message: /longer than 255/ },
  { name: 'input longer than 512', input: `x/${'a'.repeat(600)}`, message: /too long/ },
];

describe('parseReference', () => {
  for (const c of valid) {
    test(`parses ${c.input}`, () => {
      const ref = parseReference(c.input);
      assert.deepEqual(ref, c.want);
      assert.equal(formatReference(ref), c.canonical);
    });
  }

  for (const c of invalid) {
    test(`refuses ${c.name}`, () => {
      assert.throws(
        () => parseReference(c.input),
        (e: unknown) => {
          assert.ok(e instanceof SkiffError, 'a SkiffError');
          assert.equal(e.kind, 'invalid-reference');
          assert.equal(e.exitCode, 125);
          assert.match(e.message, /^invalid image reference /);
          assert.match(e.message, c.message);
          return true;
        },
      );
    });
  }

  test('a 255-character name is still accepted', () => {
    assert.equal(repositoryName(parseReference(longName)).length, 255);
  });

  test('error message quotes the input', () => {
    assert.throws(() => parseReference('Busybox'), { message: 'invalid image reference "Busybox": repository name must be lowercase' });
  });
});

describe('formatReference and parseReference round trip', () => {
  for (const c of valid) {
    test(c.canonical, () => {
      const ref = parseReference(c.input);
      assert.deepEqual(parseReference(formatReference(ref)), ref);
      assert.equal(formatReference(parseReference(c.canonical)), c.canonical);
    });
  }

  test('formats each optional part', () => {
    const rows: [Reference, string][] = [
      [{ domain: 'docker.io', path: 'library/a' }, 'docker.io/library/a'],
      [{ domain: 'docker.io', path: 'library/a', tag: 't' }, 'docker.io/library/a:t'],
      [{ domain: 'h:1', path: 'p', digest: `sha256:${HEX}` }, `h:1/p@sha256:${HEX}`],
      [{ domain: 'h', path: 'p', tag: 't', digest: `sha256:${HEX}` }, `h/p:t@sha256:${HEX}`],
    ];
    for (const [ref, s] of rows) assert.equal(formatReference(ref), s);
  });
});

describe('familiarName', () => {
  const rows: [string, string][] = [
    ['docker.io/library/busybox', 'busybox'],
    ['docker.io/user/repo', 'user/repo'],
    ['docker.io/user/sub/repo', 'user/sub/repo'],
    ['localhost:5000/a/b', 'localhost:5000/a/b'],
    ['ghcr.io/x/y', 'ghcr.io/x/y'],
    ['[::1]:5000/a', '[::1]:5000/a'],
    ['example.com/library/busybox', 'example.com/library/busybox'],
  ];
  for (const [repo, familiar] of rows) {
    test(`${repo} -> ${familiar}`, () => assert.equal(familiarName(repo), familiar));
  }

  const roundTrip = ['busybox', 'user/repo', 'user/sub/repo', 'localhost/x', 'localhost:5000/a/b', '127.0.0.1:5000/a', '[::1]:5000/a', 'host.example.com/ns/sub/repo', 'ghcr.io/x/y'];
  for (const input of roundTrip) {
    test(`familiar form of ${input} parses back to the same repository`, () => {
      const repo = repositoryName(parseReference(input));
      const familiar = familiarName(repo);
      assert.equal(familiar, input);
      assert.equal(repositoryName(parseReference(familiar)), repo);
    });
  }

  test(
    'familiar form of docker.io/library/a/b keeps library/ (docker strips it only for one-component names)',
    () => {
      const repo = 'docker.io/library/a/b';
      assert.equal(repositoryName(parseReference(repo)), repo);
      const familiar = familiarName(repo);
      assert.equal(familiar, 'library/a/b');
      assert.equal(repositoryName(parseReference(familiar)), repo);
    },
  );
});

describe('registryHost', () => {
  const rows: [string, string][] = [
    ['docker.io', 'registry-1.docker.io'],
    ['localhost:5000', 'localhost:5000'],
    ['ghcr.io', 'ghcr.io'],
  ];
  for (const [domain, host] of rows) test(`${domain} -> ${host}`, () => assert.equal(registryHost(domain), host));
});
