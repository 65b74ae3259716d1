import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { PullProgress } from '../../src/cli/pull-progress.js';

/** A stream with what ora uses of a terminal. */
function fakeTty(): { stream: PassThrough & { isTTY: boolean; columns: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), {
    isTTY: true,
    columns: 80,
    rows: 24,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
  });
  let out = '';
  stream.on('data', (c) => (out += c));
  return { stream, text: () => out };
}

describe('PullProgress on a terminal', () => {
  test('a pull that ends before the spinner has loaded still reports itself', { timeout: 10_000 }, async () => {
    const tty = fakeTty();
    const p = new PullProgress({ stdout: new PassThrough(), stderr: tty.stream, env: { TERM: 'xterm', NO_COLOR: '1' } });
    // All in the same tick as the constructor: ora has not been imported yet.
    p.event({ type: 'resolved', reference: 'r', digest: `sha256:${'a'.repeat(64)}`, platform: 'linux/amd64', layers: [{ digest: `sha256:${'b'.repeat(64)}`, size: 10 }] });
    p.event({ type: 'layer', digest: `sha256:${'b'.repeat(64)}`, status: 'done', total: 10 });
    await p.finish();
    assert.match(tty.text(), /✔ pulled/);
    assert.match(tty.text(), /bbbbbbbbbbbb: done/);
  });
});
