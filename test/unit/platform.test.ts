// Table tests for src/oci/platform.ts: parsing --platform, normalization, index-entry matching.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { type Platform, formatPlatform, hostPlatform, normalizePlatform, parsePlatform, platformMatches } from '../../src/oci/platform.js';

describe('parsePlatform', () => {
  const rows: [string, Platform][] = [
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm64/8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86-64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['  linux/s390x  ', { os: 'linux', architecture: 's390x' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
  ];
  for (const [input, want] of rows) {
    test(`${JSON.stringify(input)} -> ${formatPlatform(want)}`, () => assert.deepEqual(parsePlatform(input), want));
  }

  const bad = ['a//b', '', '/', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux//v7'];
  for (const input of bad) {
    test(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parsePlatform(input),
        (e: unknown) => {
          assert.ok(e instanceof SkiffError);
          assert.equal(e.kind, 'usage');
          assert.match(e.message, /^invalid platform ".*": expected os\/arch\[\/variant\]$/);
          return true;
        },
      );
    });
  }

  test(
    'an OS alone means that OS on the host architecture, as containerd reads it',
    () => {
      const p = parsePlatform('linux');
      assert.equal(p.os, 'linux');
      assert.equal(p.architecture, hostPlatform().architecture);
    },
  );
});

describe('normalizePlatform', () => {
  const rows: [Platform, Platform][] = [
    [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64' }],
    [{ os: 'Linux', architecture: 'X86_64' }, { os: 'linux', architecture: 'amd64' }],
    [{ os: 'linux', architecture: 'aarch64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [{ os: 'linux', architecture: 'arm64', variant: '8' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [{ os: 'linux', architecture: 'arm64', variant: 'V8' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [{ os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    [{ os: 'linux', architecture: 'arm', variant: 'v5' }, { os: 'linux', architecture: 'arm', variant: 'v5' }],
    [{ os: 'linux', architecture: 'armhf' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    [{ os: 'linux', architecture: 'amd64', variant: 'v2' }, { os: 'linux', architecture: 'amd64', variant: 'v2' }],
    [{ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }, { os: 'windows', architecture: 'amd64' }],
  ];
  for (const [input, want] of rows) {
    test(`${JSON.stringify(input)} -> ${formatPlatform(want)}`, () => assert.deepEqual(normalizePlatform(input), want));
  }

  test('is idempotent', () => {
    for (const [input] of rows) assert.deepEqual(normalizePlatform(normalizePlatform(input)), normalizePlatform(input));
  });

  test('does not modify its argument', () => {
    const p: Platform = { os: 'Linux', architecture: 'aarch64' };
    normalizePlatform(p);
    assert.deepEqual(p, { os: 'Linux', architecture: 'aarch64' });
  });
});

describe('formatPlatform', () => {
  const rows: [Platform, string][] = [
    [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, 'linux/arm/v7'],
  ];
  for (const [p, s] of rows) test(s, () => assert.equal(formatPlatform(p), s));

  test('parsePlatform(formatPlatform(p)) is the normalized p', () => {
    for (const p of [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'ppc64le' }]) {
      assert.deepEqual(parsePlatform(formatPlatform(p)), normalizePlatform(p));
    }
  });
});

describe('hostPlatform', () => {
  test('is linux, already normalized', () => {
    const h = hostPlatform();
    assert.equal(h.os, 'linux');
    assert.deepEqual(normalizePlatform(h), h);
    if (process.arch === 'x64') assert.deepEqual(h, { os: 'linux', architecture: 'amd64' });
    if (process.arch === 'arm64') assert.deepEqual(h, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  });
});

describe('platformMatches', () => {
  const p = (s: string): Platform => {
    const [os, architecture, variant] = s.split('/') as [string, string, string?];
    return variant === undefined ? { os, architecture } : { os, architecture, variant };
  };
  // [want, have (the index entry), matches]
  const rows: [string, string, boolean][] = [
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64', 'linux/arm64', false],
    ['linux/amd64', 'windows/amd64', false],
    ['linux/amd64', 'linux/x86_64', true],
    // variants on both sides
    ['linux/arm/v7', 'linux/arm/v7', true],
    ['linux/arm/v7', 'linux/arm/v6', false],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/arm64/v8', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64/8', true],
    ['linux/amd64/v2', 'linux/amd64/v3', false],
    // a missing variant on the entry matches any wanted variant (where no default variant applies)
    ['linux/amd64/v2', 'linux/amd64', true],
    // no wanted variant matches any entry variant
    ['linux/amd64', 'linux/amd64/v3', true],
    // arm64 and arm have default variants (v8, v7), as containerd normalizes them
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm64', 'linux/aarch64', true],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/arm', 'linux/arm/v6', false],
    ['linux/arm/v7', 'linux/arm', true],
    ['linux/arm/v6', 'linux/arm', false],
    ['linux/arm64', 'linux/arm', false],
    ['unknown/unknown', 'linux/amd64', false],
    ['linux/amd64', 'unknown/unknown', false],
  ];
  for (const [want, have, ok] of rows) {
    test(`want ${want}, entry ${have}: ${ok ? 'match' : 'no match'}`, () => assert.equal(platformMatches(p(want), p(have)), ok));
  }
});
