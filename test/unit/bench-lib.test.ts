// bench/lib.ts: the interval bench/run and bench/ps print beside each ratio.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, ratioInterval } from '../../bench/lib.js';

test('ratioInterval: holds the ratio of the medians, is seeded, and widens with the spread', () => {
  const floor = [91, 92, 95, 88, 97, 93, 90, 94, 92, 96, 89, 93, 91, 95, 92];
  const tight = floor.map((x) => x * 1.25);
  assert.deepEqual(ratioInterval(tight, floor), ratioInterval(tight, floor));
  const [lo, hi] = ratioInterval(tight, floor);
  assert.ok(lo <= median(tight) / median(floor) && median(tight) / median(floor) <= hi);
  assert.ok(hi - lo < 0.01, `a constant ratio leaves no room: ${lo}-${hi}`);
  const noisy = floor.map((x, i) => x * (i % 2 === 0 ? 1.1 : 1.4));
  const [nlo, nhi] = ratioInterval(noisy, floor);
  assert.ok(nlo < 1.25 && nhi > 1.25 && nhi - nlo > 0.1, `${nlo}-${nhi}`);
});
