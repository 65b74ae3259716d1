// Detached containers are supervised by conmon, one small C process per container, as podman
// does: conmon runs `runc create`, holds the container's stdio (pipes, or the console master
// with -t), writes the k8s-file log, and records the exit code in <exitDir>/<id>. No Node
// process stays behind. The caller runs `runc start ID` itself once this resolves: conmon
// only ever creates (it has no `run` mode), and the gap between create and start is where
// the network namespace of the created pid gets set up.
//
// conmon double-forks: the process we spawn writes --conmon-pidfile and exits at once; the
// daemon child calls setsid(), dups /dev/null over its stdio, runs runc and reports on the
// sync pipe (fd 3, named by _OCI_SYNCPIPE) one JSON line: {"data": PID} once created, or
// {"data": -1, "message": "<runc's stderr>"} when `runc create` failed.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { SkiffError, messageOf } from '../errors.js';
import { deleteState, runtimeError, runtimeErrorExitCode, type Runc } from './runc.js';

// One mapping of runtime failures to 126/127/125, shared with foreground `run`.
export { runtimeErrorExitCode };

export const CONMON_BIN = '/usr/bin/conmon';

export interface ConmonStart {
  id: string; // 64-hex container id
  name: string;
  bundle: string; // dir holding config.json (absolute)
  runtime: string; // path of runc
  runtimeRoot: string; // runc --root
  logPath: string; // k8s-file log
  exitDir: string; // conmon writes <exitDir>/<id> with the exit code
  persistDir: string; // per-container dir for conmon's own files
  terminal: boolean;
  stdin: boolean; // keep stdin open (-i)
  exitCommand?: string[]; // argv run by conmon after the container exits; argv[0] absolute
  logSizeMax?: number; // bytes; conmon then starts a new log file (renamed over the old one)
  env?: NodeJS.ProcessEnv;
  conmon?: string; // conmon binary, default /usr/bin/conmon
}

export interface Started {
  pid: number;
  conmonPid: number;
}

// The name of conmon's symlink to the bundle inside persistDir (conmon's "cuuid"). conmon
// puts its attach socket, ctl and winsz fifos in the bundle; clients reach them through this
// short link because a unix socket path must fit in 108 bytes.
const BUNDLE_LINK = 'bundle';

// `runc create` of a normal container takes ~40 ms here; hooks or a slow disk take longer.
const CREATE_TIMEOUT_MS = 120_000;

/** Files conmon keeps for one container, all under persistDir. */
export function conmonPaths(persistDir: string) {
  return {
    pidFile: join(persistDir, 'pidfile'), // container's init pid, written by runc
    conmonPidFile: join(persistDir, 'conmon.pid'),
    runtimeLog: join(persistDir, 'oci-log'), // runc's JSON log: its errors, one line each
    exitFile: join(persistDir, 'exit'), // same content as <exitDir>/<id>
    oomFile: join(persistDir, 'oom'), // created when the kernel OOM-killed in the container
    /** SOCK_SEQPACKET; each message read starts with a stream byte (1 stdin, 2 stdout, 3 stderr). */
    attachSocket: join(persistDir, BUNDLE_LINK, 'attach'),
    /** fifo taking "TYPE HEIGHT WIDTH\n" lines; type 1 resizes the terminal. */
    ctlFifo: join(persistDir, BUNDLE_LINK, 'ctl'),
  };
}

/** conmon's command line for `o` (exported for tests and `--debug`). */
export function conmonArgs(o: ConmonStart): string[] {
  const p = conmonPaths(o.persistDir);
  const args = [
    '--api-version', '1',
    '-c', o.id,
    '-u', BUNDLE_LINK,
    '-n', o.name,
    '-r', o.runtime,
    '-b', o.bundle,
    '-p', p.pidFile,
    '-P', p.conmonPidFile,
    '-0', o.persistDir,
    '-l', `k8s-file:${o.logPath}`,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.persistDir,
    // Global runc flags go before `create`: conmon places --runtime-arg there.
    '--runtime-arg', `--root=${o.runtimeRoot}`,
    // With --log, runc prints its error to stderr as one plain line (conmon relays that on
    // the sync pipe) instead of a logfmt record, and keeps a JSON copy in oci-log.
    '--runtime-arg', `--log=${p.runtimeLog}`,
    '--runtime-arg', '--log-format=json',
  ];
  // conmon with -t holds the console master, which is the container's stdin as well.
  if (o.terminal) args.push('-t');
  else if (o.stdin) args.push('-i');
  if (o.logSizeMax && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.exitCommand && o.exitCommand.length > 0) {
    const [cmd, ...rest] = o.exitCommand;
    args.push('--exit-command', cmd!);
    for (const a of rest) args.push('--exit-command-arg', a);
  }
  return args;
}

/** conmon runs `runc create`; resolves with the container's pid once created (not yet started). */
export async function createWithConmon(o: ConmonStart): Promise<Started> {
  check(o);
  const p = conmonPaths(o.persistDir);
  mkdirSync(o.persistDir, { recursive: true, mode: 0o700 });
  mkdirSync(o.exitDir, { recursive: true, mode: 0o700 });
  // conmon opens the log before anything else and creates no directories.
  mkdirSync(dirname(o.logPath), { recursive: true, mode: 0o700 });
  // A restarted container keeps its id: a stale exit file would say it already ended.
  for (const f of [join(o.exitDir, o.id), p.exitFile, p.oomFile, p.pidFile, p.conmonPidFile, p.runtimeLog]) {
    rmSync(f, { force: true });
  }
  const runc: Runc = { bin: o.runtime, root: o.runtimeRoot, env: o.env ?? process.env };

  let report: SyncReport;
  try {
    report = await runConmon(o);
  } catch (err) {
    await cleanupAfterFailure(o, runc);
    throw err;
  }
  if (report.data >= 0) return { pid: report.data, conmonPid: report.conmonPid };

  await cleanupAfterFailure(o, runc);
  const msg = firstLine(report.message) || runtimeError(p.runtimeLog) || `${o.runtime} create failed without a message`;
  throw new SkiffError('internal', msg, { exitCode: runtimeErrorExitCode(msg) });
}

function check(o: ConmonStart): void {
  for (const [what, path] of [['bundle', o.bundle], ['runtime', o.runtime], ['log path', o.logPath], ['exit dir', o.exitDir], ['persist dir', o.persistDir]] as const) {
    if (!isAbsolute(path)) throw new SkiffError('internal', `conmon needs an absolute ${what}, got ${path}`);
  }
  // conmon execv()s the exit command: no PATH lookup.
  if (o.exitCommand?.length && !isAbsolute(o.exitCommand[0]!)) {
    throw new SkiffError('internal', `conmon needs an absolute exit command, got ${o.exitCommand[0]}`);
  }
  const sock = conmonPaths(o.persistDir).attachSocket;
  if (Buffer.byteLength(sock) > 107) {
    throw new SkiffError('internal', `attach socket path too long for a unix socket (${Buffer.byteLength(sock)} > 107 bytes): ${sock}`);
  }
}

interface SyncReport {
  data: number;
  message?: string;
  conmonPid: number;
}

function runConmon(o: ConmonStart): Promise<SyncReport> {
  const p = conmonPaths(o.persistDir);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(o.env ?? process.env)) {
    // Our own sync fds must not be confused with a parent's; a systemd notify socket must not
    // leak to the container's supervisor.
    if (k.startsWith('_OCI_') || k === 'NOTIFY_SOCKET') continue;
    env[k] = v;
  }
  env._OCI_SYNCPIPE = '3';

  return new Promise<SyncReport>((resolve, reject) => {
    // cwd: conmon creates its "oom" file relative to its cwd; the persist dir is where it belongs.
    // detached: the first conmon process leads its own session, so a terminal's ^C to our
    // process group never reaches it before the daemon child has called setsid().
    const child = process.getBuiltinModule('node:child_process').spawn(o.conmon ?? CONMON_BIN, conmonArgs(o), {
      cwd: o.persistDir,
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const sync = child.stdio[3] as Readable;
    let syncText = '';
    let stderr = '';
    let line: string | undefined;
    let syncEnded = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;

    const finish = (err: Error | undefined, value?: SyncReport) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Nothing of conmon may keep our event loop alive: the container outlives this process.
      sync.destroy();
      child.stderr?.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(value!);
    };

    const decide = () => {
      // The pidfile is written by the first conmon process just before it exits, so wait
      // for both its exit and the daemon's report.
      if (!exit) return;
      if (exit.code !== 0) {
        const why = conmonStderr(stderr) || (exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`);
        return finish(new SkiffError('internal', `conmon failed: ${why}`));
      }
      if (line !== undefined) {
        let rec: { data?: unknown; message?: unknown };
        try {
          rec = JSON.parse(line) as typeof rec;
        } catch {
          return finish(new SkiffError('internal', `conmon sent an unreadable report: ${line.slice(0, 200)}`));
        }
        if (typeof rec.data !== 'number') return finish(new SkiffError('internal', `conmon sent no pid: ${line.slice(0, 200)}`));
        const conmonPid = tryReadPid(p.conmonPidFile);
        if (conmonPid === undefined) return finish(new SkiffError('internal', `conmon wrote no pid file at ${p.conmonPidFile}`));
        const message = typeof rec.message === 'string' ? rec.message : undefined;
        return finish(undefined, { data: rec.data, message, conmonPid });
      }
      if (syncEnded) {
        // The daemon died before reporting (its own errors go to /dev/null by then).
        const why = runtimeError(p.runtimeLog) || 'conmon exited before reporting the container pid';
        return finish(new SkiffError('internal', why, { exitCode: runtimeErrorExitCode(why) }));
      }
    };

    sync.on('data', (chunk: Buffer) => {
      syncText += chunk.toString('utf8');
      const nl = syncText.indexOf('\n');
      if (nl >= 0 && line === undefined) {
        line = syncText.slice(0, nl);
        decide();
      }
    });
    sync.on('end', () => {
      syncEnded = true;
      decide();
    });
    sync.on('error', () => {
      syncEnded = true;
      decide();
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 8192) stderr += c.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const msg = err.code === 'ENOENT' ? 'conmon is not installed (apt-get install conmon)' : `cannot run conmon: ${messageOf(err)}`;
      finish(new SkiffError(err.code === 'ENOENT' ? 'not-found' : 'internal', msg, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      decide();
    });

    const timer = setTimeout(() => {
      // conmon's runc child has PDEATHSIG=SIGKILL: killing conmon takes `runc create` along.
      const pid = tryReadPid(p.conmonPidFile);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      finish(new SkiffError('internal', `runc create did not finish within ${CREATE_TIMEOUT_MS / 1000} s`));
    }, CREATE_TIMEOUT_MS);
  });
}

// A failed create leaves no runc state as a rule; a killed or timed-out one can.
async function cleanupAfterFailure(o: ConmonStart, runc: Runc): Promise<void> {
  try {
    await deleteState(runc, o.id);
  } catch {
    // The original failure is what the user needs to see.
  }
}

function firstLine(s: string | undefined): string {
  if (!s) return '';
  return s.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
}

// conmon prefixes its own messages with "[conmon:e]: ".
function conmonStderr(s: string): string {
  return firstLine(s.replace(/\[conmon:[a-z]\]:\s*/g, ''));
}

function tryReadPid(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
