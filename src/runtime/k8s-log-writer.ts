// Writes a foreground container's output in the k8s-file format conmon writes for detached
// ones ("<time> <stream> <F|P> <text>"), so `logs` reads both the same way.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { LogStream } from './k8s-log.js';

const NL = 0x0a;

/** RFC 3339 with nanoseconds and an offset, as conmon stamps its lines. */
export function logTimestamp(d = new Date()): string {
  return `${d.toISOString().slice(0, 23)}000000+00:00`;
}

/** The records for one chunk of output: a full line ends in F, a line still open ends in P. */
export function formatLogRecords(stream: LogStream, chunk: Buffer, time: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(NL, start);
    const end = nl < 0 ? chunk.length : nl;
    parts.push(Buffer.from(`${time} ${stream} ${nl < 0 ? 'P' : 'F'} `), chunk.subarray(start, end), Buffer.from('\n'));
    start = end + 1;
  }
  return Buffer.concat(parts);
}

/** Opened with the first output: a container that prints nothing (most `run --rm`) has no log to make and delete. */
export class K8sLogWriter {
  private fd: number | undefined;
  private closed = false;

  constructor(private readonly path: string) {}

  write(stream: LogStream, chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.fd ??= openSync(this.path, 'a', 0o600);
    const out = formatLogRecords(stream, chunk, logTimestamp());
    for (let off = 0; off < out.length; ) off += writeSync(this.fd, out, off);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.closed = true;
  }
}

/** What relayOutput reads: a child's output pipe (src/sys/pipe-reader.ts) or any Readable. */
export interface OutputSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end' | 'error', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface OutputSinks {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Copies a child's piped stdout and stderr to the sinks (pausing while a sink is full), and
 * to the container's log when one is given. Resolves once both streams have ended.
 */
export function relayOutput(child: { stdout: OutputSource | null; stderr: OutputSource | null }, sinks: OutputSinks, log?: K8sLogWriter): Promise<void> {
  const relay = (from: OutputSource | null, sink: () => NodeJS.WritableStream, stream: LogStream) =>
    new Promise<void>((resolve) => {
      if (!from) return resolve();
      // A sink that fails (a closed pipe: `skiff run … | head -1`) is given up on; the output
      // is still drained, so the container never blocks, and still logged.
      let broken = false;
      const onError = () => {
        broken = true;
        from.resume();
      };
      // Taken at the first output: a process's stdout is made on first use (~1-3 ms).
      let to: NodeJS.WritableStream | undefined;
      from.on('data', (chunk: Buffer) => {
        log?.write(stream, chunk);
        if (broken) return;
        if (!to) (to = sink()).once('error', onError);
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.once('end', () => {
        to?.off('error', onError);
        resolve();
      });
      from.once('error', () => resolve());
    });
  return Promise.all([relay(child.stdout, () => sinks.stdout, 'stdout'), relay(child.stderr, () => sinks.stderr, 'stderr')]).then(() => log?.close());
}
