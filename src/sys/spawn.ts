// A child process started with posix_spawn, for the starts on the paths of `run` and `exec`:
// runc itself. Node's child_process forks, copying the page tables of this whole process
// (~50 MB resident by then), and its first spawn readies more of itself: ~4 ms before runc
// begins, against ~0.3 ms for glibc's posix_spawn, which shares the memory until the exec.
import { EventEmitter } from 'node:events';
import { closeSync, constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { errnoError, libcFunctions } from './libc.js';
import { PipeReader, signalWhenReadable } from './pipe-reader.js';

/** What a child's fd 0, 1 or 2 is: this process's own, /dev/null, or a pipe to this process. */
export type StdioKind = 'inherit' | 'ignore' | 'pipe';
export type Stdio = [StdioKind, StdioKind, StdioKind];

export interface SpawnOptions {
  stdio: Stdio;
  env: NodeJS.ProcessEnv;
}

// glibc's layouts on Linux (x86_64 and arm64): posix_spawn_file_actions_t is 80 bytes,
// posix_spawnattr_t 336, sigset_t 128. Each is given room to spare.
const FILE_ACTIONS_SIZE = 256;
const ATTR_SIZE = 512;
const SIGSET_SIZE = 256;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_GETFL = 3;
const F_SETFL = 4;
const WNOHANG = 1;

interface Spawn {
  posix_spawn: (pid: number[], path: string, fa: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]) => number;
  fa_init: (fa: Buffer) => number;
  fa_destroy: (fa: Buffer) => number;
  fa_adddup2: (fa: Buffer, fd: number, to: number) => number;
  fa_addopen: (fa: Buffer, fd: number, path: string, flags: number, mode: number) => number;
  attr_init: (a: Buffer) => number;
  attr_destroy: (a: Buffer) => number;
  attr_setflags: (a: Buffer, flags: number) => number;
  attr_setsigdefault: (a: Buffer, set: Buffer) => number;
  attr_setsigmask: (a: Buffer, set: Buffer) => number;
  sigfillset: (set: Buffer) => number;
  sigemptyset: (set: Buffer) => number;
  pipe2: (fds: Buffer, flags: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  waitpid: (pid: number, status: Buffer, options: number) => number;
}

let bound: Spawn | undefined;

function calls(): Spawn {
  bound ??= libcFunctions({
    posix_spawn: 'int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)',
    fa_init: 'int posix_spawn_file_actions_init(void *fa)',
    fa_destroy: 'int posix_spawn_file_actions_destroy(void *fa)',
    fa_adddup2: 'int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)',
    fa_addopen: 'int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int flags, uint32_t mode)',
    attr_init: 'int posix_spawnattr_init(void *attr)',
    attr_destroy: 'int posix_spawnattr_destroy(void *attr)',
    attr_setflags: 'int posix_spawnattr_setflags(void *attr, short flags)',
    attr_setsigdefault: 'int posix_spawnattr_setsigdefault(void *attr, const void *set)',
    attr_setsigmask: 'int posix_spawnattr_setsigmask(void *attr, const void *set)',
    sigfillset: 'int sigfillset(void *set)',
    sigemptyset: 'int sigemptyset(void *set)',
    pipe2: 'int pipe2(void *fds, int flags)',
    fcntl: 'int fcntl(int fd, int cmd, int arg)',
    waitpid: 'int waitpid(int pid, void *status, int options)',
  }) as unknown as Spawn;
  return bound;
}

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
    const res = calls().waitpid(this.pid, status, WNOHANG);
    if (res === 0) return false;
    this.reaped = true;
    if (res < 0) {
      // ECHILD: something else in this process reaped it, and its status is lost.
      this.emit('error', errnoError('waitpid', String(this.pid)));
      return true;
    }
    const s = status.readInt32LE(0);
    const signo = s & 0x7f;
    const code = signo === 0 ? (s >> 8) & 0xff : null;
    const signal = signo === 0 ? null : (SIGNAL_NAMES.get(signo) ?? null);
    this.emit('exit', code, signal);
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
  const c = calls();
  const flags = c.fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && flags & O_NONBLOCK) c.fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

/** The child's fds 0-2 as file actions; returns this process's ends of the pipes, by fd. */
function stdioActions(fa: Buffer, stdio: Stdio, mine: number[], theirs: number[]): (number | undefined)[] {
  const c = calls();
  const pipes: (number | undefined)[] = [];
  stdio.forEach((kind, fd) => {
    if (kind === 'inherit') {
      blocking(fd);
      // libuv makes this process's fds 0-2 close-on-exec; a dup2 onto itself clears that in the child only.
      ok(c.fa_adddup2(fa, fd, fd), 'posix_spawn_file_actions_adddup2');
    } else if (kind === 'ignore') {
      ok(c.fa_addopen(fa, fd, '/dev/null', fd === 0 ? fsConstants.O_RDONLY : fsConstants.O_WRONLY, 0), 'posix_spawn_file_actions_addopen');
    } else {
      const fds = Buffer.alloc(8);
      if (c.pipe2(fds, O_CLOEXEC) !== 0) throw errnoError('pipe2', '');
      const [r, w] = [fds.readInt32LE(0), fds.readInt32LE(4)];
      const [ours, child] = fd === 0 ? [w, r] : [r, w];
      mine.push(ours);
      theirs.push(child);
      pipes[fd] = ours;
      if (fd !== 0) signalWhenReadable(ours);
      ok(c.fa_adddup2(fa, child, fd), 'posix_spawn_file_actions_adddup2');
    }
  });
  return pipes;
}

/** glibc's spawn calls return an errno rather than setting it. */
function ok(ret: number, call: string): void {
  if (ret !== 0) throw errnoError(call, '', ret);
}

/**
 * Starts file (an absolute path) with args. Throws a Node-style error (ENOENT, EACCES...) when
 * it cannot be started, as the exec's failure is known before posix_spawn returns.
 */
export function spawnProcess(file: string, args: string[], o: SpawnOptions): SpawnedProcess {
  const c = calls();
  const fa = Buffer.alloc(FILE_ACTIONS_SIZE);
  const attr = Buffer.alloc(ATTR_SIZE);
  ok(c.fa_init(fa), 'posix_spawn_file_actions_init');
  ok(c.attr_init(attr), 'posix_spawnattr_init');
  const mine: number[] = [];
  const theirs: number[] = [];
  try {
    // The child starts with every signal at its default and none blocked, as libuv's do: Node
    // ignores SIGPIPE, and an ignored signal stays ignored across an exec. sigfillset leaves
    // out glibc's own two signals, which posix_spawn would then leave ignored in the child.
    const all = Buffer.alloc(SIGSET_SIZE);
    const none = Buffer.alloc(SIGSET_SIZE);
    c.sigfillset(all);
    all.fill(0xff, 0, 8);
    c.sigemptyset(none);
    ok(c.attr_setsigdefault(attr, all), 'posix_spawnattr_setsigdefault');
    ok(c.attr_setsigmask(attr, none), 'posix_spawnattr_setsigmask');
    ok(c.attr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), 'posix_spawnattr_setflags');
    const pipes = stdioActions(fa, o.stdio, mine, theirs);
    const env = Object.entries(o.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const pid = [0];
    const err = c.posix_spawn(pid, file, fa, attr, [file, ...args, null], [...env, null]);
    if (err !== 0) throw errnoError('spawn', file, err);
    const child = new SpawnedProcess(pid[0]!);
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
    c.fa_destroy(fa);
    c.attr_destroy(attr);
  }
}
