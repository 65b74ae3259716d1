// The read end of a child's stdout or stderr pipe, read as the kernel signals data (O_ASYNC:
// SIGIO) rather than through a net.Socket. A socket needs node:net and node:stream, ~2.6 ms of
// loading and first use that every foreground `run` paid right after starting runc, beside it
// on the CPU, even for a container that prints nothing (A/B: ~1.5 ms of the run's wall time).
// The kernel sends SIGIO when a write makes the empty pipe readable and when its last writer
// closes; each signal drains every reader to EAGAIN, so no write goes unheard.
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { errnoError } from './libc.js';
import { sys } from './native.js';

const F_GETFL = 3;
const F_SETFL = 4;
const F_SETOWN = 8;
const O_NONBLOCK = 0o4000;
const O_ASYNC = 0o20000;
const CHUNK = 64 * 1024;

const readers = new Set<PipeReader>();
// A signal listener does not keep the event loop alive, as a socket would: while a pipe is
// open (a writer may outlive the child), a timer does.
let keepAlive: NodeJS.Timeout | undefined;

function drainAll(): void {
  for (const r of readers) r.drain();
}

// SIGIO's default action ends the process: once a pipe has asked for it, the listener stays,
// so a late signal is always harmless.
let listening = false;

/**
 * Readies this process's read end of a pipe before the child that writes to it starts:
 * non-blocking, with SIGIO sent here as it becomes readable. Throws if the fd refuses.
 */
export function signalWhenReadable(fd: number): void {
  if (!listening) {
    process.on('SIGIO', drainAll);
    listening = true;
  }
  let ret = sys().fcntl(fd, F_GETFL, 0);
  if (ret >= 0) ret = sys().fcntl(fd, F_SETFL, ret | O_NONBLOCK | O_ASYNC);
  if (ret >= 0) ret = sys().fcntl(fd, F_SETOWN, process.pid);
  if (ret < 0) throw errnoError('fcntl', `pipe fd ${fd}`, -ret);
}

/**
 * A readable pipe with the part of a Readable's interface the relays use: 'data' (flowing once
 * a listener is added with on()), pause/resume, then 'end' and 'close' at end of file, or 'error'.
 */
export class PipeReader extends EventEmitter {
  readableEnded = false;
  destroyed = false;
  private flowing = false;
  private scheduled = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  /** Takes ownership of fd, readied by signalWhenReadable (closed at end of file). */
  constructor(private readonly fd: number) {
    super();
    if (readers.size === 0) keepAlive = setInterval(() => {}, 1 << 30);
    readers.add(this);
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    if (event === 'data') this.resume();
    return this;
  }

  pause(): this {
    this.flowing = false;
    return this;
  }

  /** Flowing again; what the pipe holds (written before a listener came, or while paused) is read on the next turn. */
  resume(): this {
    this.flowing = true;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    }
    return this;
  }

  /** Reads until the pipe is empty, paused or at its end (@internal: SIGIO and the reaping of the child call it). */
  drain(): void {
    while (this.flowing && !this.destroyed) {
      const n = sys().read(this.fd, this.buf);
      if (n > 0) {
        this.emit('data', Buffer.from(this.buf.subarray(0, n)));
        continue;
      }
      if (n === 0) return this.finish();
      if (-n === constants.errno.EAGAIN) return;
      if (-n === constants.errno.EINTR) continue;
      this.emit('error', errnoError('read', `pipe fd ${this.fd}`, -n));
      return this.finish();
    }
  }

  private finish(): void {
    readers.delete(this);
    if (readers.size === 0) clearInterval(keepAlive);
    this.destroyed = true;
    closeSync(this.fd);
    this.readableEnded = true;
    this.emit('end');
    this.emit('close');
  }
}
