// The k8s-file log reader: records joined into lines, since/until, tail read from the end,
// and following a file that grows and gets replaced (conmon's --log-size-max rotation).
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { flushLogParser, newLogParser, parseLogChunk, readLog, type LogLine, type ReadLogOptions } from '../../src/runtime/k8s-log.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-k8slog-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Buffer) => {
  const p = join(dir, `log${n++}`);
  writeFileSync(p, content);
  return p;
};

// Second s of a fixed minute, as conmon writes it (local time with an offset).
const ts = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.123456789+00:00`;
const rec = (s: number, stream: string, tag: string, text: string) => `${ts(s)} ${stream} ${tag} ${text}\n`;

async function all(path: string, o: Partial<ReadLogOptions> = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of readLog(path, { follow: false, ...o })) out.push(l);
  return out;
}
const texts = (ls: LogLine[]) => ls.map((l) => l.text);

describe('parseLogChunk', () => {
  test('full and partial records, interleaved streams, records split across chunks', () => {
    const p = newLogParser();
    const data = Buffer.from(
      rec(1, 'stdout', 'P', 'hel') + rec(1, 'stderr', 'F', 'oops') + rec(2, 'stdout', 'P', 'lo ') + rec(3, 'stdout', 'F', 'world') + rec(4, 'stdout', 'F', ''),
    );
    const lines: LogLine[] = [];
    for (let i = 0; i < data.length; i += 7) lines.push(...parseLogChunk(p, data.subarray(i, i + 7)));
    assert.deepEqual(
      lines.map((l) => [l.stream, l.text, l.timeText]),
      [
        ['stderr', 'oops\n', ts(1)],
        ['stdout', 'hello world\n', ts(3)],
        ['stdout', '\n', ts(4)],
      ],
    );
    assert.equal(lines[1]!.time.getTime(), Date.UTC(2026, 0, 2, 3, 4, 3, 123));
  });

  test('a UTF-8 character split between two fragments is decoded whole', () => {
    const euro = Buffer.from('€'); // 3 bytes
    const p = newLogParser();
    const data = Buffer.concat([
      Buffer.from(`${ts(1)} stdout P a`), euro.subarray(0, 2), Buffer.from('\n'),
      Buffer.from(`${ts(1)} stdout F `), euro.subarray(2), Buffer.from('b\n'),
    ]);
    assert.deepEqual(texts(parseLogChunk(p, data)), ['a€b\n']);
  });

  test('an unterminated last fragment is flushed as a line without newline; junk is skipped', () => {
    const p = newLogParser();
    const lines = parseLogChunk(p, Buffer.from('garbage line\n' + rec(1, 'stdin', 'F', 'x') + rec(1, 'stdout', 'X', 'x') + rec(2, 'stdout', 'P', 'prompt> ')));
    assert.deepEqual(lines, []);
    assert.deepEqual(texts(flushLogParser(p)), ['prompt> ']);
    assert.deepEqual(flushLogParser(p), []);
  });
});

describe('readLog', () => {
  const basic = rec(1, 'stdout', 'F', 'one') + rec(2, 'stderr', 'F', 'two') + rec(3, 'stdout', 'P', 'thr') + rec(4, 'stdout', 'F', 'ee') + rec(5, 'stdout', 'F', 'four');

  test('whole file, a missing file, since and until', async () => {
    const p = file(basic);
    assert.deepEqual(texts(await all(p)), ['one\n', 'two\n', 'three\n', 'four\n']);
    assert.deepEqual(await all(join(dir, 'missing')), []);
    assert.deepEqual(texts(await all(p, { since: new Date(ts(2)) })), ['two\n', 'three\n', 'four\n']);
    assert.deepEqual(texts(await all(p, { until: new Date(ts(4)) })), ['one\n', 'two\n', 'three\n']);
    assert.deepEqual(texts(await all(p, { since: new Date(ts(2)), until: new Date(ts(2)) })), ['two\n']);
  });

  test('tail counts lines, not records, and includes an unterminated last line', async () => {
    const p = file(basic);
    assert.deepEqual(texts(await all(p, { tail: 2 })), ['three\n', 'four\n']);
    assert.deepEqual(texts(await all(p, { tail: 3 })), ['two\n', 'three\n', 'four\n']);
    assert.deepEqual(texts(await all(p, { tail: 10 })), ['one\n', 'two\n', 'three\n', 'four\n']);
    assert.deepEqual(await all(p, { tail: 0 }), []);
    const q = file(basic + rec(6, 'stdout', 'P', 'no newline'));
    assert.deepEqual(texts(await all(q, { tail: 2 })), ['four\n', 'no newline']);
  });

  test('tail of a large log reads from the end', async () => {
    let big = '';
    for (let i = 0; i < 50_000; i++) big += rec(i % 60, i % 3 ? 'stdout' : 'stderr', 'F', `line ${i} ${'x'.repeat(i % 40)}`);
    const p = file(big);
    const got = texts(await all(p, { tail: 3 }));
    assert.deepEqual(got.map((t) => t.split(' ')[1]), ['49997', '49998', '49999']);
    const many = await all(p, { tail: 20_000 });
    assert.equal(many.length, 20_000);
    assert.equal(many[0]!.text.split(' ')[1], '30000');
  });

  test('tail matches the end of a full read wherever the 64 KiB blocks fall', async () => {
    let seed = 7;
    const rnd = (m: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % m);
    let log = '';
    for (let i = 0; i < 6000; i++) log += rec(i % 60, 'stdout', rnd(4) ? 'F' : 'P', `${i}:${'y'.repeat(rnd(300))}`);
    const p = file(log);
    const full = texts(await all(p));
    for (const t of [1, 2, 7, 100, 333, 1000, 2500, full.length - 1, full.length, full.length + 5]) {
      assert.deepEqual(texts(await all(p, { tail: t })), full.slice(Math.max(0, full.length - t)), `tail ${t}`);
    }
  });

  test('follow sees appended records, joins fragments written apart, and ends when done', async () => {
    const p = file(rec(1, 'stdout', 'F', 'first'));
    let done = false;
    const got: string[] = [];
    const reading = (async () => {
      for await (const l of readLog(p, { follow: true, isDone: () => done, pollMs: 20 })) got.push(l.text);
    })();
    await new Promise((r) => setTimeout(r, 60));
    appendFileSync(p, rec(2, 'stdout', 'P', 'sec'));
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(got, ['first\n'], 'a fragment waits for its end');
    appendFileSync(p, rec(3, 'stdout', 'F', 'ond') + rec(4, 'stderr', 'P', 'unterminated'));
    // Written before done: still read.
    done = true;
    await reading;
    assert.deepEqual(got, ['first\n', 'second\n', 'unterminated']);
  });

  test('follow with tail starts at the last lines and continues with new ones', async () => {
    const p = file(basic);
    let done = false;
    const got: string[] = [];
    const reading = (async () => {
      for await (const l of readLog(p, { follow: true, tail: 1, isDone: () => done, pollMs: 20 })) got.push(l.text);
    })();
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(p, rec(6, 'stdout', 'F', 'five'));
    await new Promise((r) => setTimeout(r, 80));
    done = true;
    await reading;
    assert.deepEqual(got, ['four\n', 'five\n']);
  });

  test('follow moves to a new file renamed over the old one (conmon log rotation)', async () => {
    const p = file(rec(1, 'stdout', 'F', 'old'));
    let done = false;
    const got: string[] = [];
    const reading = (async () => {
      for await (const l of readLog(p, { follow: true, isDone: () => done, pollMs: 20 })) got.push(l.text);
    })();
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(p, rec(2, 'stdout', 'P', 'split '));
    writeFileSync(`${p}.tmp`, rec(3, 'stdout', 'F', 'across files'));
    renameSync(`${p}.tmp`, p);
    await new Promise((r) => setTimeout(r, 80));
    appendFileSync(p, rec(4, 'stdout', 'F', 'new'));
    done = true;
    await reading;
    assert.deepEqual(got, ['old\n', 'split across files\n', 'new\n']);
  });

  test('follow waits for the file to appear, and stops on abort', async () => {
    const p = join(dir, 'later');
    const ac = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const l of readLog(p, { follow: true, signal: ac.signal, pollMs: 1000 })) got.push(l.text);
    })();
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(p, rec(1, 'stdout', 'F', 'hi'));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    ac.abort();
    await reading;
    assert.ok(Date.now() - t0 < 500, 'abort does not wait for the poll interval');
    assert.deepEqual(got, ['hi\n']);
  });
});
