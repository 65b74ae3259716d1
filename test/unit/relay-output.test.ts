// relayOutput: a foreground container's output to the caller's stdout/stderr and to its log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, test } from 'node:test';
import { K8sLogWriter, relayOutput } from '../../src/runtime/k8s-log-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-relay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function collector(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString() });
}

test('output reaches each sink and the log; a sink is not asked for until its stream has output', async () => {
  const out = collector();
  const err = collector();
  const asked: string[] = [];
  const sinks = {
    get stdout() {
      asked.push('stdout');
      return out;
    },
    get stderr() {
      asked.push('stderr');
      return err;
    },
  };
  const child = { stdout: new PassThrough(), stderr: new PassThrough() };
  const log = join(dir, 'both.log');
  const done = relayOutput(child, sinks, new K8sLogWriter(log));
  child.stdout.end('one\ntwo\n');
  child.stderr.end();
  await done;
  assert.equal(out.text(), 'one\ntwo\n');
  assert.equal(err.text(), '');
  // Making process.stderr costs a start 1-3 ms: a container that writes nothing there never has it made.
  assert.deepEqual(asked, ['stdout']);
  assert.match(readFileSync(log, 'utf8'), /^\S+ stdout F one\n\S+ stdout F two\n$/);
});

test('a sink that fails (a closed pipe) is given up on; the output is still drained and logged', async () => {
  let writes = 0;
  const broken = new Writable({
    write(_chunk, _enc, cb) {
      writes++;
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const child = { stdout: new PassThrough(), stderr: null };
  const log = join(dir, 'broken.log');
  const done = relayOutput(child, { stdout: broken, stderr: collector() }, new K8sLogWriter(log));
  child.stdout.write('first\n');
  await new Promise((resolve) => setImmediate(resolve));
  // More than a pipe holds: a relay that stopped reading would leave the container blocked.
  child.stdout.end(Buffer.alloc(256 * 1024, 'x'));
  await done;
  assert.equal(writes, 1);
  const text = readFileSync(log, 'utf8');
  assert.match(text, /^\S+ stdout F first\n/);
  assert.equal((text.match(/x/g) ?? []).length, 256 * 1024);
});
