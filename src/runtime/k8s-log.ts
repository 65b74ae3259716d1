// Reading the k8s-file logs conmon writes: one record per line,
//   <RFC3339Nano time> <stdout|stderr> <P|F> <bytes>\n
// F ends a line (the bytes were followed by the container's own newline); P is a fragment of a
// longer or unterminated line, to be joined with the next records of the same stream. conmon
// reads at most 8 KiB at a time, so long lines arrive as P records, and a fragment may end in
// the middle of a UTF-8 character: fragments are joined as bytes and decoded once whole.
// conmon writes the time in local time with a numeric offset (2026-01-02T03:04:05.123456789+00:00).
// With --log-size-max conmon starts a new file and renames it over the old one, so a follower
// watches the path, not the open file.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  time: Date;
  /** The timestamp as conmon wrote it, nanoseconds and offset included. */
  timeText: string;
  stream: LogStream;
  /** The full line, with its trailing "\n" unless the container ended without one. */
  text: string;
}

export interface LogParser {
  rest: Buffer; // bytes of a record whose newline has not arrived yet
  pending: Record<LogStream, Buffer[]>; // P fragments waiting for their F
  last: Record<LogStream, { time: Date; timeText: string } | undefined>;
}

export function newLogParser(): LogParser {
  return { rest: Buffer.alloc(0), pending: { stdout: [], stderr: [] }, last: { stdout: undefined, stderr: undefined } };
}

const NL = 0x0a;
const SP = 0x20;

/** Feeds bytes; returns the lines they complete. Malformed records are skipped. */
export function parseLogChunk(p: LogParser, chunk: Buffer): LogLine[] {
  const buf = p.rest.length ? Buffer.concat([p.rest, chunk]) : chunk;
  const out: LogLine[] = [];
  let start = 0;
  for (let nl = buf.indexOf(NL, start); nl >= 0; nl = buf.indexOf(NL, start)) {
    const line = parseRecord(p, buf.subarray(start, nl));
    if (line) out.push(line);
    start = nl + 1;
  }
  // Copy: the caller may reuse its read buffer.
  p.rest = Buffer.from(buf.subarray(start));
  return out;
}

/** At the end of a finished log: fragments never terminated become lines without "\n". */
export function flushLogParser(p: LogParser): LogLine[] {
  const out: LogLine[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const parts = p.pending[stream];
    const last = p.last[stream];
    if (parts.length && last) out.push({ ...last, stream, text: Buffer.concat(parts).toString('utf8') });
    p.pending[stream] = [];
  }
  return out;
}

interface Header {
  timeText: string;
  stream: LogStream;
  partial: boolean;
  body: number; // index where the bytes start
}

function parseHeader(rec: Buffer): Header | undefined {
  const s1 = rec.indexOf(SP);
  if (s1 <= 0) return undefined;
  const s2 = rec.indexOf(SP, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = rec.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = rec[s2 + 1];
  if ((tag !== 0x46 && tag !== 0x50) || (rec.length > s2 + 2 && rec[s2 + 2] !== SP)) return undefined; // F / P
  return { timeText: rec.toString('latin1', 0, s1), stream, partial: tag === 0x50, body: Math.min(s2 + 3, rec.length) };
}

function parseRecord(p: LogParser, rec: Buffer): LogLine | undefined {
  const h = parseHeader(rec);
  if (!h) return undefined;
  const time = new Date(h.timeText);
  if (Number.isNaN(time.getTime())) return undefined;
  const body = rec.subarray(h.body);
  p.last[h.stream] = { time, timeText: h.timeText };
  if (h.partial) {
    p.pending[h.stream].push(Buffer.from(body));
    return undefined;
  }
  const parts = p.pending[h.stream];
  p.pending[h.stream] = [];
  const text = (parts.length ? Buffer.concat([...parts, body]) : body).toString('utf8') + '\n';
  // The line is stamped with the time it was completed, as podman does.
  return { time, timeText: h.timeText, stream: h.stream, text };
}

export interface ReadLogOptions {
  follow: boolean;
  since?: Date;
  until?: Date;
  /** Only the last N lines (then since/until apply to those), read from the end of the file. */
  tail?: number;
  /** Following ends once this returns true (the container exited) and the file is drained. */
  isDone?: () => boolean;
  signal?: AbortSignal;
  /** Longest wait between looks at the file while following; fs.watch usually wakes sooner. */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/** Lines of a k8s-file log, optionally following it as conmon appends. A missing file is empty. */
export async function* readLog(path: string, o: ReadLogOptions): AsyncGenerator<LogLine> {
  const parser = newLogParser();
  const keep = (l: LogLine) => (!o.since || l.time >= o.since);
  const pastUntil = (l: LogLine) => o.until !== undefined && l.time > o.until;
  const waker = o.follow ? new Waker(path, o.pollMs ?? 250, o.signal) : undefined;
  let file = await openLog(path);
  try {
    let offset = 0;
    if (file && o.tail !== undefined) {
      const size = (await file.fh.stat()).size;
      offset = await tailOffset(file.fh, size, o.tail);
      // The tail is chosen from what exists now; lines appended later are all new.
      const initial: LogLine[] = [];
      offset = await readRange(file.fh, offset, size, (chunk) => {
        for (const l of parseLogChunk(parser, chunk)) initial.push(l);
      });
      if (!o.follow) for (const l of flushLogParser(parser)) initial.push(l);
      for (const l of initial.slice(Math.max(0, initial.length - o.tail))) {
        if (pastUntil(l)) return;
        if (keep(l)) yield l;
      }
    }
    for (;;) {
      if (o.signal?.aborted) return;
      // Asked before draining: whatever conmon wrote before it recorded the exit is read below.
      const done = o.isDone?.() ?? false;
      // Looked at before draining too: conmon never writes to a file once it renamed a new one
      // over it, so a file drained after the rename was seen is complete.
      const now = o.follow ? await statOrUndefined(path) : undefined;
      const lines: LogLine[] = [];
      if (file) {
        offset = await readRange(file.fh, offset, Infinity, (chunk) => {
          for (const l of parseLogChunk(parser, chunk)) lines.push(l);
        });
      }
      const switched = now !== undefined && (!file || now.ino !== file.ino || now.size < offset);
      if (!switched && (!o.follow || done)) for (const l of flushLogParser(parser)) lines.push(l);
      for (const l of lines) {
        if (pastUntil(l)) return;
        if (keep(l)) yield l;
      }
      if (switched) {
        // Rotation (a new file at the path) or truncation: start over at 0. Fragments waiting
        // for their F stay: conmon rotates between records, not inside a line.
        if (file && now.ino === file.ino) offset = 0;
        else {
          await file?.fh.close();
          file = await openLog(path);
          offset = 0;
        }
        parser.rest = Buffer.alloc(0);
        continue;
      }
      if (!o.follow || done) return;
      if (o.until && Date.now() > o.until.getTime()) return;
      await waker!.wait();
    }
  } finally {
    waker?.close();
    await file?.fh.close();
  }
}

async function openLog(path: string): Promise<{ fh: FileHandle; ino: number } | undefined> {
  try {
    const fh = await open(path, 'r');
    return { fh, ino: (await fh.stat()).ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** Reads [from, to) (or to EOF) in chunks; returns the offset reached. */
async function readRange(fh: FileHandle, from: number, to: number, each: (b: Buffer) => void): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let off = from;
  while (off < to) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, to - off), off);
    if (bytesRead === 0) break;
    each(buf.subarray(0, bytesRead));
    off += bytesRead;
  }
  return off;
}

/**
 * Offset from which the last `n` lines can be parsed: just after the (n+1)-th last F record,
 * found by reading blocks backwards, so a large log costs a few reads. A line of the other
 * stream still unfinished at that point may come out without its first fragments.
 */
export async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  let pos = size;
  let carry = Buffer.alloc(0);
  let found = 0;
  let first = true;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const block = Buffer.allocUnsafe(len);
    await fh.read(block, 0, len, pos);
    const buf = carry.length ? Buffer.concat([block, carry]) : block;
    // buf covers the file from pos; a torn last record (no newline yet) is not counted.
    let cursor = first ? buf.lastIndexOf(NL) + 1 : buf.length;
    if (first && cursor === 0) {
      if (pos === 0) return 0;
      carry = buf;
      continue;
    }
    first = false;
    for (;;) {
      const j = cursor >= 2 ? buf.lastIndexOf(NL, cursor - 2) : -1;
      if (j < 0 && pos > 0) break; // the record's start is in an earlier block
      const h = parseHeader(buf.subarray(j + 1, cursor - 1));
      if (h && !h.partial && ++found === n + 1) return pos + cursor;
      if (j < 0) return 0;
      cursor = j + 1;
    }
    carry = buf.subarray(0, cursor);
  }
  return 0;
}

/** Wakes a follower on a change in the log's directory, after pollMs at the latest, or on abort. */
class Waker {
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private dirty = false;

  constructor(path: string, private readonly pollMs: number, private readonly signal?: AbortSignal) {
    const name = basename(path);
    try {
      // The directory, not the file: conmon's rotation replaces the file.
      this.watcher = watch(dirname(path), { persistent: false }, (_event, f) => {
        if (f === null || f.toString().startsWith(name)) this.poke();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      // inotify limits: polling alone still works.
    }
  }

  private poke(): void {
    this.dirty = true;
    this.wake?.();
  }

  wait(): Promise<void> {
    if (this.dirty || this.signal?.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.dirty = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      this.signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
