// Table tests for src/oci/manifest.ts: classifying and validating what a registry serves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import type { Digest } from '../../src/oci/digest.js';
import { MAX_DOCUMENT_BYTES, checkLayers, parseConfig, parseManifest, selectPlatform } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { Platform } from '../../src/oci/platform.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../../src/oci/types.js';

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const CONFIG = { mediaType: MediaType.ociConfig, digest: d('c'), size: 1234 };
const LAYER = { mediaType: MediaType.ociLayerGzip, digest: d('1'), size: 100 };
const DOCKER_CONFIG = { mediaType: MediaType.dockerConfig, digest: d('c'), size: 1234 };
const DOCKER_LAYER = { mediaType: MediaType.dockerLayerGzip, digest: d('2'), size: 200 };

const ociManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: CONFIG, layers: [LAYER] };
const dockerManifest = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config: DOCKER_CONFIG, layers: [DOCKER_LAYER] };
const entry = (digestChar: string, platform?: Platform, extra: Partial<Descriptor> = {}): Descriptor => ({
  mediaType: MediaType.ociManifest,
  digest: d(digestChar),
  size: 500,
  ...(platform ? { platform } : {}),
  ...extra,
});
const ociIndex = {
  schemaVersion: 2,
  mediaType: MediaType.ociIndex,
  manifests: [entry('a', { os: 'linux', architecture: 'amd64' }), entry('b', { os: 'linux', architecture: 'arm64', variant: 'v8' })],
};
const dockerList = {
  schemaVersion: 2,
  mediaType: MediaType.dockerManifestList,
  manifests: [{ ...entry('a', { os: 'linux', architecture: 'amd64' }), mediaType: MediaType.dockerManifest }],
};

const SCHEMA1 = /schema 1/;

function expectError(fn: () => unknown, kind: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SkiffError, `expected a SkiffError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('parseManifest classifies', () => {
  // [name, body, declared Content-Type, kind, mediaType]
  const rows: [string, unknown, string | undefined, 'index' | 'manifest', string][] = [
    ['OCI manifest', ociManifest, MediaType.ociManifest, 'manifest', MediaType.ociManifest],
    ['OCI manifest, no Content-Type', ociManifest, undefined, 'manifest', MediaType.ociManifest],
    ['OCI manifest, Content-Type with parameters', ociManifest, `${MediaType.ociManifest}; charset=utf-8`, 'manifest', MediaType.ociManifest],
    ['OCI manifest served as application/json', ociManifest, 'application/json', 'manifest', MediaType.ociManifest],
    ['OCI manifest served as application/octet-stream', ociManifest, 'application/octet-stream', 'manifest', MediaType.ociManifest],
    ['OCI manifest without mediaType in the body', { ...ociManifest, mediaType: undefined }, MediaType.ociManifest, 'manifest', MediaType.ociManifest],
    ['OCI manifest without mediaType anywhere', { ...ociManifest, mediaType: undefined }, undefined, 'manifest', MediaType.ociManifest],
    ['Docker schema 2 manifest', dockerManifest, MediaType.dockerManifest, 'manifest', MediaType.dockerManifest],
    ['Docker schema 2 manifest without Content-Type', dockerManifest, undefined, 'manifest', MediaType.dockerManifest],
    ['OCI index', ociIndex, MediaType.ociIndex, 'index', MediaType.ociIndex],
    ['OCI index without mediaType anywhere', { ...ociIndex, mediaType: undefined }, undefined, 'index', MediaType.ociIndex],
    ['OCI index without mediaType in body, declared', { ...ociIndex, mediaType: undefined }, MediaType.ociIndex, 'index', MediaType.ociIndex],
    ['Docker manifest list', dockerList, MediaType.dockerManifestList, 'index', MediaType.dockerManifestList],
    ['Docker manifest list body, declared type only', { ...dockerList, mediaType: undefined }, MediaType.dockerManifestList, 'index', MediaType.dockerManifestList],
  ];
  for (const [name, body, declared, kind, mediaType] of rows) {
    test(name, () => {
      const p = parseManifest(json(body), declared);
      assert.equal(p.kind, kind);
      assert.equal(p.mediaType, mediaType);
      if (p.kind === 'manifest') {
        const src = body as typeof ociManifest;
        assert.deepEqual(p.manifest.config, src.config);
        assert.deepEqual(p.manifest.layers, src.layers);
        assert.equal(p.manifest.schemaVersion, 2);
      } else {
        assert.deepEqual(p.index.manifests, (body as typeof ociIndex).manifests);
      }
    });
  }

  test('keeps descriptor platform, urls and annotations; drops unknown fields', () => {
    const body = {
      ...ociIndex,
      manifests: [
        {
          ...entry('a', { os: 'linux', architecture: 'arm', variant: 'v7' }),
          urls: ['https://example.com/x', 7],
          annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          unknownField: true,
        },
      ],
    };
    const p = parseManifest(json(body), MediaType.ociIndex);
    assert.equal(p.kind, 'index');
    if (p.kind !== 'index') return;
    assert.deepEqual(p.index.manifests[0], {
      mediaType: MediaType.ociManifest,
      digest: d('a'),
      size: 500,
      platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
      urls: ['https://example.com/x'],
      annotations: { 'org.opencontainers.image.ref.name': 'v1' },
    });
  });

  test('a manifest with no layers is valid', () => {
    const p = parseManifest(json({ ...ociManifest, layers: [] }), MediaType.ociManifest);
    assert.equal(p.kind, 'manifest');
  });

  test(`accepts exactly ${MAX_DOCUMENT_BYTES} bytes`, () => {
    const base = JSON.stringify(ociManifest);
    const padded = Buffer.from(base.slice(0, -1) + ' '.repeat(MAX_DOCUMENT_BYTES - base.length) + '}');
    assert.equal(padded.length, MAX_DOCUMENT_BYTES);
    assert.equal(parseManifest(padded, MediaType.ociManifest).kind, 'manifest');
  });
});

describe('parseManifest refuses', () => {
  const schema1Body = { schemaVersion: 1, name: 'library/busybox', tag: 'latest', architecture: 'amd64', fsLayers: [{ blobSum: d('1') }], history: [] };
  const tooBig = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20);
  // [name, body, declared, kind, message]
  const rows: [string, Buffer | unknown, string | undefined, string, RegExp][] = [
    ['schema 1 by declared type', schema1Body, MediaType.dockerSchema1, 'unsupported', SCHEMA1],
    ['signed schema 1 by declared type', schema1Body, MediaType.dockerSchema1Signed, 'unsupported', SCHEMA1],
    ['signed schema 1 by declared type with parameters', schema1Body, `${MediaType.dockerSchema1Signed}; charset=utf-8`, 'unsupported', SCHEMA1],
    ['schema 1 by declared type even if the body is not JSON', Buffer.from('{"signatures": ['), MediaType.dockerSchema1Signed, 'unsupported', SCHEMA1],
    ['schema 1 by schemaVersion', schema1Body, undefined, 'unsupported', SCHEMA1],
    ['schema 1 by schemaVersion, served as application/json', schema1Body, 'application/json', 'unsupported', SCHEMA1],
    ['both an index and a manifest (manifests + layers)', { ...ociIndex, layers: [LAYER] }, undefined, 'registry', /both an index and a manifest/],
    ['both an index and a manifest (manifests + config)', { ...ociIndex, config: CONFIG }, MediaType.ociIndex, 'registry', /both an index and a manifest/],
    ['both, declared as a manifest', { ...ociManifest, manifests: [] }, MediaType.ociManifest, 'registry', /both an index and a manifest/],
    ['declared manifest, body says index', ociIndex, MediaType.ociManifest, 'registry', /media type application\/vnd\.oci\.image\.manifest\.v1\+json contradicts the document's own application\/vnd\.oci\.image\.index\.v1\+json/],
    ['declared index, body says manifest', ociManifest, MediaType.ociIndex, 'registry', /contradicts/],
    ['declared Docker manifest, body says OCI manifest', ociManifest, MediaType.dockerManifest, 'registry', /contradicts/],
    ['declared OCI index, body says Docker list', dockerList, MediaType.ociIndex, 'registry', /contradicts/],
    ['declared index, body is a manifest without mediaType', { ...ociManifest, mediaType: undefined }, MediaType.ociIndex, 'registry', /no manifests list/],
    ['declared manifest, body is an index without mediaType', { ...ociIndex, mediaType: undefined }, MediaType.ociManifest, 'registry', /the document is an index/],
    ['manifest without layers', { ...ociManifest, layers: undefined }, MediaType.ociManifest, 'registry', /no layers list/],
    ['manifest without config', { schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [LAYER] }, undefined, 'registry', /descriptor is not an object/],
    ['index whose manifests is not a list', { ...ociIndex, manifests: {} }, undefined, 'registry', /no manifests list/],
    ['larger than 4 MiB', tooBig, MediaType.ociManifest, 'registry', /larger than 4194304 bytes/],
    ['larger than 4 MiB, even when schema 1 is declared', tooBig, MediaType.dockerSchema1, 'registry', /larger than/],
    ['not JSON', Buffer.from('<html>rate limited</html>'), MediaType.ociManifest, 'registry', /not valid JSON/],
    ['a JSON array', [], MediaType.ociManifest, 'registry', /not a JSON object/],
    ['JSON null', null, MediaType.ociManifest, 'registry', /not a JSON object/],
    ['no schemaVersion', { ...ociManifest, schemaVersion: undefined }, MediaType.ociManifest, 'registry', /unsupported schemaVersion/],
    ['schemaVersion 3', { ...ociManifest, schemaVersion: 3 }, MediaType.ociManifest, 'registry', /unsupported schemaVersion 3/],
    ['schemaVersion "2"', { ...ociManifest, schemaVersion: '2' }, MediaType.ociManifest, 'registry', /unsupported schemaVersion "2"/],
    ['unknown media type', { ...ociManifest, mediaType: 'application/vnd.example+json' }, undefined, 'unsupported', /unsupported manifest media type application\/vnd\.example\+json/],
    ['artifact manifest type', { ...ociManifest, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' }, 'application/vnd.oci.artifact.manifest.v1+json', 'unsupported', /unsupported manifest media type/],
  ];
  for (const [name, body, declared, kind, message] of rows) {
    test(name, () => expectError(() => parseManifest(Buffer.isBuffer(body) ? body : json(body), declared), kind, message));
  }

  // Descriptor validation, for config, layers and index entries.
  const badDescriptors: [string, unknown, RegExp, string][] = [
    ['short digest', { ...LAYER, digest: 'sha256:abc' }, /invalid layer digest/, 'digest-mismatch'],
    ['uppercase digest', { ...LAYER, digest: `sha256:${'A'.repeat(64)}` }, /invalid layer digest/, 'digest-mismatch'],
    ['path traversal digest', { ...LAYER, digest: 'sha256:../../../etc/passwd' }, /invalid layer digest/, 'digest-mismatch'],
    ['missing digest', { mediaType: LAYER.mediaType, size: 1 }, /invalid layer digest/, 'digest-mismatch'],
    ['sha512 digest', { ...LAYER, digest: `sha512:${'a'.repeat(128)}` }, /unsupported layer digest algorithm/, 'unsupported'],
    ['negative size', { ...LAYER, size: -1 }, /invalid size/, 'registry'],
    ['fractional size', { ...LAYER, size: 1.5 }, /invalid size/, 'registry'],
    ['string size', { ...LAYER, size: '100' }, /invalid size/, 'registry'],
    ['missing size', { mediaType: LAYER.mediaType, digest: LAYER.digest }, /invalid size/, 'registry'],
    ['unsafe size', { ...LAYER, size: 2 ** 53 }, /invalid size/, 'registry'],
    ['missing mediaType', { digest: LAYER.digest, size: 1 }, /without mediaType/, 'registry'],
    ['empty mediaType', { ...LAYER, mediaType: '' }, /without mediaType/, 'registry'],
    ['null descriptor', null, /descriptor is not an object/, 'registry'],
  ];
  for (const [name, layer, message, kind] of badDescriptors) {
    test(`layer descriptor with ${name}`, () => expectError(() => parseManifest(json({ ...ociManifest, layers: [LAYER, layer] }), MediaType.ociManifest), kind, message));
  }
  test('config descriptor with a bad digest', () =>
    expectError(() => parseManifest(json({ ...ociManifest, config: { ...CONFIG, digest: 'sha256:xyz' } }), undefined), 'digest-mismatch', /invalid config digest/));
  test('config descriptor with a bad size', () =>
    expectError(() => parseManifest(json({ ...ociManifest, config: { ...CONFIG, size: -5 } }), undefined), 'registry', /invalid config.*invalid size/));
  test('index entry with a bad digest', () =>
    expectError(() => parseManifest(json({ ...ociIndex, manifests: [{ ...entry('a'), digest: 'sha256:../x' }] }), undefined), 'digest-mismatch', /invalid index entry digest/));
  test('index entry with a bad size', () =>
    expectError(() => parseManifest(json({ ...ociIndex, manifests: [{ ...entry('a'), size: null }] }), undefined), 'registry', /invalid index entry.*invalid size/));
  test('index entry with a bad platform', () =>
    expectError(() => parseManifest(json({ ...ociIndex, manifests: [{ ...entry('a'), platform: { os: 'linux' } }] }), undefined), 'registry', /invalid platform/));
});

describe('selectPlatform', () => {
  const amd64 = entry('a', { os: 'linux', architecture: 'amd64' });
  const arm64 = entry('b', { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const armv6 = entry('6', { os: 'linux', architecture: 'arm', variant: 'v6' });
  const armv7 = entry('7', { os: 'linux', architecture: 'arm', variant: 'v7' });
  const s390x = entry('5', { os: 'linux', architecture: 's390x' });
  const attestation = (c: string, ref: string): Descriptor =>
    entry(c, { os: 'unknown', architecture: 'unknown' }, { annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': ref } });
  const index = (...manifests: Descriptor[]): ImageIndex => ({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
  const P = (os: string, architecture: string, variant?: string): Platform => (variant ? { os, architecture, variant } : { os, architecture });

  // [name, index, wanted, digest of the expected entry]
  const rows: [string, ImageIndex, Platform, Digest][] = [
    ['amd64 from amd64+arm64', index(amd64, arm64), P('linux', 'amd64'), amd64.digest],
    ['arm64 from amd64+arm64', index(amd64, arm64), P('linux', 'arm64'), arm64.digest],
    ['arm64/v8 from amd64+arm64', index(amd64, arm64), P('linux', 'arm64', 'v8'), arm64.digest],
    ['arm/v7 among arm/v6 and arm/v7', index(armv6, armv7), P('linux', 'arm', 'v7'), armv7.digest],
    ['arm/v6 among arm/v6 and arm/v7', index(armv6, armv7), P('linux', 'arm', 'v6'), armv6.digest],
    ['arm (v7 by default) among arm/v6 and arm/v7', index(armv6, armv7), P('linux', 'arm'), armv7.digest],
    ['skips attestations listed first', index(attestation('x', amd64.digest), attestation('y', arm64.digest), amd64, arm64), P('linux', 'arm64'), arm64.digest],
    ['skips attestations listed after', index(amd64, arm64, attestation('x', amd64.digest)), P('linux', 'amd64'), amd64.digest],
    ['skips entries that are not manifests', index({ ...entry('e', { os: 'linux', architecture: 'amd64' }), mediaType: 'application/vnd.example.sbom' }, amd64), P('linux', 'amd64'), amd64.digest],
    ['skips entries without a platform', index(entry('f'), amd64), P('linux', 'amd64'), amd64.digest],
    ['follows a nested index entry', index({ ...entry('n', { os: 'linux', architecture: 'amd64' }), mediaType: MediaType.ociIndex }), P('linux', 'amd64'), d('n')],
    ['docker manifest list entries', index({ ...amd64, mediaType: MediaType.dockerManifest }), P('linux', 'amd64'), amd64.digest],
    ['x86_64 in the entry', index(entry('x', { os: 'linux', architecture: 'x86_64' })), P('linux', 'amd64'), d('x')],
  ];
  for (const [name, idx, want, digest] of rows) {
    test(name, () => assert.equal(selectPlatform(idx, want).digest, digest));
  }

  test('an attestation is never chosen, even for unknown/unknown', () => {
    // Only an image manifest for a real platform may be chosen; attestations have none.
    expectError(() => selectPlatform(index(attestation('x', amd64.digest)), P('linux', 'amd64')), 'not-found', /no image for platform linux\/amd64 \(available: none\)/);
  });

  test('lists available platforms in the error, without attestations or duplicates', () => {
    const idx = index(amd64, arm64, armv7, attestation('x', amd64.digest), attestation('y', arm64.digest), { ...amd64, digest: d('d') });
    expectError(() => selectPlatform(idx, P('linux', 's390x')), 'not-found', /^no image for platform linux\/s390x \(available: linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7\)$/);
  });

  test('the error names the wanted variant', () => {
    expectError(() => selectPlatform(index(amd64, s390x), P('linux', 'arm', 'v7')), 'not-found', /^no image for platform linux\/arm\/v7 \(available: linux\/amd64, linux\/s390x\)$/);
  });

  test('an empty index', () => {
    expectError(() => selectPlatform(index(), P('linux', 'amd64')), 'not-found', /\(available: none\)/);
  });
});

describe('checkLayers', () => {
  const m = (...mediaTypes: string[]): ImageManifest => ({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: CONFIG,
    layers: mediaTypes.map((mediaType, i) => ({ mediaType, digest: d(String(i)), size: 1 })),
  });

  const ok = [
    MediaType.ociLayerGzip,
    MediaType.ociLayer,
    MediaType.ociLayerNonDist,
    MediaType.ociLayerNonDistGzip,
    MediaType.dockerLayerGzip,
    MediaType.dockerLayer,
    MediaType.dockerForeignLayerGzip,
  ];
  for (const t of ok) test(`accepts ${t}`, () => assert.doesNotThrow(() => checkLayers(m(t))));
  test('accepts a mix and no layers', () => {
    checkLayers(m(...ok));
    checkLayers(m());
  });

  const bad: [string, string[], RegExp][] = [
    ['zstd', [MediaType.ociLayerGzip, MediaType.ociLayerZstd], /^zstd-compressed layers \(sha256:1111111111\S*\) are not supported yet$/],
    ['non-distributable zstd', ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd'], /not supported yet/],
    ['an unknown layer type', ['application/vnd.example.layer'], /^unsupported layer media type application\/vnd\.example\.layer$/],
    ['a config type used as a layer', [MediaType.ociConfig], /unsupported layer media type/],
    ['a helm chart layer', ['application/vnd.cncf.helm.chart.content.v1.tar+gzip'], /unsupported layer media type/],
  ];
  for (const [name, types, message] of bad) {
    test(`refuses ${name}`, () => expectError(() => checkLayers(m(...types)), 'unsupported', message));
  }
});

describe('parseConfig', () => {
  const manifest = (n: number): ImageManifest => ({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: CONFIG,
    layers: Array.from({ length: n }, (_, i) => ({ mediaType: MediaType.ociLayerGzip, digest: d(String(i)), size: 1 })),
  });
  const config = (diffIds: unknown, extra: object = {}) => json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, ...extra });

  test('parses a config and keeps its fields', () => {
    const c = parseConfig(config([d('e'), d('f')], { config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, created: '2024-01-01T00:00:00Z', variant: 'v8' }), manifest(2));
    assert.equal(c.architecture, 'amd64');
    assert.equal(c.os, 'linux');
    assert.equal(c.variant, 'v8');
    assert.deepEqual(c.config, { Cmd: ['sh'], Env: ['PATH=/bin'] });
    assert.deepEqual(c.rootfs, { type: 'layers', diff_ids: [d('e'), d('f')] });
  });

  test('a config with no layers', () => {
    assert.deepEqual(parseConfig(config([]), manifest(0)).rootfs.diff_ids, []);
  });

  const bad: [string, Buffer, number, string, RegExp][] = [
    ['fewer diff_ids than layers', config([d('e')]), 2, 'registry', /^invalid image config: 1 diff_ids for 2 layers$/],
    ['more diff_ids than layers', config([d('e'), d('f')]), 1, 'registry', /2 diff_ids for 1 layers/],
    ['a short diff_id', config(['sha256:abc']), 1, 'digest-mismatch', /invalid diff_id/],
    ['an uppercase diff_id', config([`sha256:${'E'.repeat(64)}`]), 1, 'digest-mismatch', /invalid diff_id/],
    ['a traversal diff_id', config(['sha256:../../x']), 1, 'digest-mismatch', /invalid diff_id/],
    ['a non-string diff_id', config([42]), 1, 'digest-mismatch', /invalid diff_id/],
    ['a sha512 diff_id', config([`sha512:${'a'.repeat(128)}`]), 1, 'unsupported', /unsupported diff_id algorithm/],
    ['diff_ids not a list', config('sha256:x'), 1, 'registry', /no rootfs\.diff_ids/],
    ['no rootfs', json({ architecture: 'amd64', os: 'linux' }), 0, 'registry', /no rootfs\.diff_ids/],
    ['no architecture', json({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), 0, 'registry', /missing architecture or os/],
    ['no os', json({ architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }), 0, 'registry', /missing architecture or os/],
    ['not JSON', Buffer.from('nope'), 0, 'registry', /invalid image config: not valid JSON/],
    ['larger than 4 MiB', Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20), 0, 'registry', /invalid image config: larger than/],
  ];
  for (const [name, bytes, layers, kind, message] of bad) {
    test(`refuses ${name}`, () => expectError(() => parseConfig(bytes, manifest(layers)), kind, message));
  }
});
