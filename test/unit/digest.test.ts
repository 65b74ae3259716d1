// Table tests for src/oci/digest.ts. A digest becomes a path component in the content store,
// so whatever parseDigest accepts must be exactly sha256:<64 lowercase hex>.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { type Digest, chainIds, digestHex, isDigest, parseDigest, sha256, shortId } from '../../src/oci/digest.js';

const hash = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const HEX = hash('hello');

describe('parseDigest', () => {
  const good = [`sha256:${HEX}`, `sha256:${'0'.repeat(64)}`, `sha256:${'f'.repeat(64)}`];
  for (const d of good) {
    test(`accepts ${d.slice(0, 20)}…`, () => {
      assert.equal(parseDigest(d), d);
      assert.equal(isDigest(d), true);
    });
  }

  // [input, expected error kind]
  const bad: [unknown, 'digest-mismatch' | 'unsupported'][] = [
    ['', 'digest-mismatch'],
    ['sha256:', 'digest-mismatch'],
    [HEX, 'digest-mismatch'],
    ['../', 'digest-mismatch'],
    ['../../etc/passwd', 'digest-mismatch'],
    ['sha256:../../x', 'digest-mismatch'],
    [`sha256:../${HEX.slice(3)}`, 'digest-mismatch'],
    [`sha256:${HEX.slice(0, 60)}/../`, 'digest-mismatch'],
    [`sha256:${HEX}/`, 'digest-mismatch'],
    [`sha256:${HEX}/..`, 'digest-mismatch'],
    [`sha256:/${HEX.slice(1)}`, 'digest-mismatch'],
    [`sha256:${HEX.toUpperCase()}`, 'digest-mismatch'],
    [`SHA256:${HEX}`, 'digest-mismatch'],
    [`sha256:${HEX.slice(0, 63)}`, 'digest-mismatch'],
    [`sha256:${HEX}0`, 'digest-mismatch'],
    [`sha256:${HEX.slice(0, 63)}g`, 'digest-mismatch'],
    [` sha256:${HEX}`, 'digest-mismatch'],
    [`sha256:${HEX}\n`, 'digest-mismatch'],
    [`sha256:${HEX}\0`, 'digest-mismatch'],
    [`sha256:${HEX}\nsha256:${HEX}`, 'digest-mismatch'],
    [`sha256 :${HEX}`, 'digest-mismatch'],
    [undefined, 'digest-mismatch'],
    [null, 'digest-mismatch'],
    [42, 'digest-mismatch'],
    [{ toString: () => `sha256:${HEX}` }, 'digest-mismatch'],
    [`sha512:${'a'.repeat(128)}`, 'unsupported'],
    [`sha512:${'a'.repeat(64)}`, 'unsupported'],
    [`blake3:${HEX}`, 'unsupported'],
  ];
  for (const [input, kind] of bad) {
    test(`refuses ${JSON.stringify(input) ?? String(input)} (${kind})`, () => {
      assert.throws(
        () => parseDigest(input, 'layer digest'),
        (e: unknown) => {
          assert.ok(e instanceof SkiffError);
          assert.equal(e.kind, kind);
          assert.match(e.message, kind === 'unsupported' ? /^unsupported layer digest algorithm: / : /^invalid layer digest: /);
          return true;
        },
      );
      if (typeof input === 'string') assert.equal(isDigest(input), false);
    });
  }

  test('error messages are one line and bounded', () => {
    assert.throws(() => parseDigest(`sha256:${'x'.repeat(10000)}`), (e: Error) => e.message.length < 120 && !e.message.includes('\n'));
    assert.throws(() => parseDigest(`sha256:${HEX}\nrest`), (e: Error) => !e.message.includes('\n'));
  });

  test('every accepted digest is a plain file name', () => {
    for (const d of good) {
      const hex = digestHex(parseDigest(d));
      assert.match(hex, /^[0-9a-f]{64}$/);
      assert.ok(!hex.includes('/') && !hex.includes('.'));
    }
  });
});

describe('sha256, digestHex, shortId', () => {
  test('sha256 matches node:crypto for strings and buffers', () => {
    for (const input of ['', 'hello', Buffer.from([0, 1, 2, 255])]) {
      assert.equal(sha256(input), `sha256:${hash(input)}`);
    }
    assert.equal(sha256(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('digestHex strips the algorithm', () => assert.equal(digestHex(`sha256:${HEX}`), HEX));

  const rows: [string, number | undefined, string][] = [
    [`sha256:${HEX}`, undefined, HEX.slice(0, 12)],
    [HEX, undefined, HEX.slice(0, 12)],
    [`sha256:${HEX}`, 64, HEX],
    [`sha256:${HEX}`, 7, HEX.slice(0, 7)],
  ];
  for (const [d, len, want] of rows) test(`shortId(${d.slice(0, 10)}…, ${len}) = ${want}`, () => assert.equal(shortId(d, len), want));
});

describe('chainIds', () => {
  // The diff_ids of the example configuration in the OCI image-spec (config.md), plus the empty layer.
  const L0 = 'sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1' as Digest;
  const L1 = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' as Digest;
  const L2 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;

  // ChainID(L0) = DiffID(L0); ChainID(L0|…|Ln) = sha256(ChainID(L0|…|Ln-1) + " " + DiffID(Ln)), computed here independently.
  const C0 = L0;
  const C1 = `sha256:${hash(`${C0} ${L1}`)}`;
  const C2 = `sha256:${hash(`${C1} ${L2}`)}`;

  const rows: [string, Digest[], string[]][] = [
    ['no layers', [], []],
    ['one layer: the chainID is the diffID', [L0], [C0]],
    ['two layers (image-spec example)', [L0, L1], [C0, C1]],
    ['three layers', [L0, L1, L2], [C0, C1, C2]],
    ['order matters', [L1, L0], [L1, `sha256:${hash(`${L1} ${L0}`)}`]],
    ['a repeated layer still chains', [L2, L2], [L2, `sha256:${hash(`${L2} ${L2}`)}`]],
  ];
  for (const [name, input, want] of rows) {
    test(name, () => assert.deepEqual(chainIds(input), want));
  }

  test('chainIds of a prefix is a prefix of chainIds', () => {
    assert.deepEqual(chainIds([L0, L1]), chainIds([L0, L1, L2]).slice(0, 2));
  });

  test('every chainID is a valid digest', () => {
    for (const c of chainIds([L0, L1, L2])) assert.equal(parseDigest(c), c);
  });

  test('does not modify its input', () => {
    const input = [L0, L1];
    chainIds(input);
    assert.deepEqual(input, [L0, L1]);
  });
});
