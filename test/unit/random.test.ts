import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomBelow, randomHex } from '../../src/sys/random.js';

describe('random', () => {
  test('randomHex gives that many bytes as lower-case hex, different each time', () => {
    const a = randomHex(32);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(randomHex(32), a);
    assert.equal(randomHex(2).length, 4);
  });

  test('randomBelow stays in range and reaches every value', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = randomBelow(7);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 7, String(v));
      seen.add(v);
    }
    assert.equal(seen.size, 7);
  });
});
