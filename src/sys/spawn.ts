// A child process started with posix_spawn, for the starts on the paths of `run` and `exec`:
// runc itself. Node's child_process forks, copying the page tables of this whole process
// (~50 MB resident by then), and its first spawn readies more of itself: ~4 ms before runc
// begins, against ~0.3 ms for glibc's posix_spawn, which shares the memory until the exec.
import { EventEmitter } from 'node:events';
import { closeSync, constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { errnoError } from './libc.js';
import { ACTION_DUP2, ACTION_OPEN, type SpawnAction, sys } from './native.js';
import { PipeReader, signalWhenReadable } from './pipe-reader.js';

/** What a child's fd 0, 1 or 2 is: this process's own, /dev/null, or a pipe to this process. */
export type StdioKind = 'inherit' | 'ignore' | 'pipe';
export type Stdio = [StdioKind, StdioKind, StdioKind];

export interface SpawnOptions {
  stdio: Stdio;
  env: NodeJS.ProcessEnv;
}

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_GETFL = 3;
const F_SETFL = 4;
const WNOHANG = 1;

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([k, v]) => [v as number, k as NodeJS.Signals]));

/**
 * A started child: its pipes as streams, `exit` (code, signal) once it is reaped and `close`
 * once its pipes have ended too, as ChildProcess reports them.
 */
export class SpawnedProcess extends EventEmitter {
  stdin: Writable | null = null;
  stdout: PipeReader | null = null;
  stderr: PipeReader | null = null;
  private reaped = false;

  constructor(readonly pid: number) {
    super();
  }

  /** Sends sig unless the child has been reaped (its pid may be another process's by then). */
  kill(sig: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.reaped) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** Reaps the child if it has ended (@internal: the SIGCHLD watch calls it). */
  poll(): boolean {
    const status = Buffer.alloc(4);
    const res = sys().waitpid(this.pid, WNOHANG, status);
    if (res === 0) return false;
    this.reaped = true;
    if (res < 0) {
      // ECHILD: something else in this process reaped it, and its status is lost.
      this.emit('error', errnoError('waitpid', String(this.pid), -res));
      return true;
    }
    const s = status.readInt32LE(0);
    const signo = s & 0x7f;
    const code = signo === 0 ? (s >> 8) & 0xff : null;
    const signal = signo === 0 ? null : (SIGNAL_NAMES.get(signo) ?? null);
    this.emit('exit', code, signal);
    // What its pipes hold, their end included, is usually there already: read now rather
    // than when the SIGIO for it reaches the event loop.
    this.stdout?.drain();
    this.stderr?.drain();
    this.closeWhenDrained(code, signal);
    return true;
  }

  private closeWhenDrained(code: number | null, signal: NodeJS.Signals | null): void {
    const open = [this.stdout, this.stderr].filter((s): s is PipeReader => s !== null && !s.readableEnded && !s.destroyed);
    let left = open.length;
    const done = () => {
      if (--left <= 0) this.emit('close', code, signal);
    };
    if (left === 0) return void this.emit('close', code, signal);
    for (const s of open) s.once('close', done);
  }
}

// Children are reaped as SIGCHLD tells of an end, as libuv reaps its own: a blocking waitpid
// would hold one of the libuv pool's four threads for a container's whole life. Each asks for
// its own pid, so children started by node:child_process are left to libuv. While one is
// waited for, a timer keeps the event loop alive (a signal listener does not).
const waiting = new Set<SpawnedProcess>();
let keepAlive: NodeJS.Timeout | undefined;

function onChildEnded(): void {
  for (const child of waiting) if (child.poll()) unwatch(child);
}

function watch(child: SpawnedProcess): void {
  if (waiting.size === 0) {
    process.on('SIGCHLD', onChildEnded);
    keepAlive = setInterval(() => {}, 1 << 30);
  }
  waiting.add(child);
  // An end before the listener was there went unheard: it is asked for once the caller has
  // had its turn to listen for the child's events.
  setImmediate(onChildEnded);
}

function unwatch(child: SpawnedProcess): void {
  waiting.delete(child);
  if (waiting.size > 0) return;
  process.off('SIGCHLD', onChildEnded);
  clearInterval(keepAlive);
}

/** Clears O_NONBLOCK on an fd the child shares with this process, as libuv does for its children. */
function blocking(fd: number): void {
  const flags = sys().fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && flags & O_NONBLOCK) sys().fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

/** The child's fds 0-2 as file actions; returns this process's ends of the pipes, by fd. */
function stdioActions(stdio: Stdio, actions: SpawnAction[], mine: number[], theirs: number[]): (number | undefined)[] {
  const pipes: (number | undefined)[] = [];
  stdio.forEach((kind, fd) => {
    if (kind === 'inherit') {
      blocking(fd);
      // libuv makes this process's fds 0-2 close-on-exec; a dup2 onto itself clears that in the child only.
      actions.push([ACTION_DUP2, fd, fd]);
    } else if (kind === 'ignore') {
      actions.push([ACTION_OPEN, fd, fd === 0 ? fsConstants.O_RDONLY : fsConstants.O_WRONLY, '/dev/null']);
    } else {
      const fds = Buffer.alloc(8);
      const ret = sys().pipe2(O_CLOEXEC, fds);
      if (ret < 0) throw errnoError('pipe2', '', -ret);
      const [r, w] = [fds.readInt32LE(0), fds.readInt32LE(4)];
      const [ours, child] = fd === 0 ? [w, r] : [r, w];
      mine.push(ours);
      theirs.push(child);
      pipes[fd] = ours;
      if (fd !== 0) signalWhenReadable(ours);
      actions.push([ACTION_DUP2, child, fd]);
    }
  });
  return pipes;
}

/**
 * Starts file (an absolute path) with args, every signal at its default and none blocked, as
 * libuv starts its children (Node ignores SIGPIPE, and an ignored signal stays ignored across
 * an exec). Throws a Node-style error (ENOENT, EACCES...) when it cannot be started, as the
 * exec's failure is known before posix_spawn returns.
 */
export function spawnProcess(file: string, args: string[], o: SpawnOptions): SpawnedProcess {
  const mine: number[] = [];
  const theirs: number[] = [];
  try {
    const actions: SpawnAction[] = [];
    const pipes = stdioActions(o.stdio, actions, mine, theirs);
    const env = Object.entries(o.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const pid = sys().spawn(file, [file, ...args], env, actions);
    if (pid < 0) throw errnoError('spawn', file, -pid);
    const child = new SpawnedProcess(pid);
    const [input, output, errors] = pipes;
    // Input, which only tests give through a pipe, goes through a socket (an fs stream would
    // hold a thread per write); output is read as SIGIO tells of it (src/sys/pipe-reader.ts).
    if (input !== undefined) child.stdin = new (process.getBuiltinModule('node:net').Socket)({ fd: input, readable: false, writable: true });
    if (output !== undefined) child.stdout = new PipeReader(output);
    if (errors !== undefined) child.stderr = new PipeReader(errors);
    mine.length = 0;
    watch(child);
    return child;
  } finally {
    for (const fd of [...theirs, ...mine]) closeSync(fd);
  }
}
