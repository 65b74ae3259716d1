// runc, called directly: run, create/start through conmon, exec, kill, delete.
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError, messageOf } from '../errors.js';
import { hasState, liveState } from './runc-state.js';
import { type SpawnedProcess, type Stdio, spawnProcess } from '../sys/spawn.js';

let resolved: string | undefined;

/** The runtime binary: $SKIFF_RUNTIME, else runc from PATH. conmon needs an absolute path. */
export function runtimePath(env: NodeJS.ProcessEnv): string {
  if (env.SKIFF_RUNTIME) return env.SKIFF_RUNTIME;
  if (resolved) return resolved;
  for (const dir of (env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const p = join(dir, 'runc');
    // existsSync first: accessSync's error for each directory without runc costs more than the stat.
    if (!existsSync(p)) continue;
    try {
      accessSync(p, constants.X_OK);
      return (resolved = p);
    } catch {
      // next
    }
  }
  throw new SkiffError('not-found', 'runc is not installed (apt-get install runc)');
}

export interface Runc {
  bin: string;
  root: string;
  env: NodeJS.ProcessEnv;
}

export interface RunForeground {
  id: string;
  bundle: string;
  /** runc's own errors go here (JSON lines), so they can be told from the container's output. */
  logFile: string;
  stdio: Stdio;
}

/** Throws as spawnProcess does when runc cannot be started. */
export function spawnRun(r: Runc, o: RunForeground): SpawnedProcess {
  return spawnProcess(r.bin, ['--root', r.root, '--log', o.logFile, '--log-format', 'json', 'run', '--bundle', o.bundle, o.id], {
    stdio: o.stdio,
    env: r.env,
  });
}

/** The error for a runtime binary that could not be started at all (missing, not executable). */
export function cannotStart(r: Runc, err: unknown): SkiffError {
  return new SkiffError('internal', `cannot run ${r.bin}: ${messageOf(err)}`, { cause: err });
}

/** Runs a runc subcommand to completion; rejects with runc's message on failure. */
export function runcCommand(r: Runc, args: string[], logFile?: string): Promise<void> {
  const log = logFile ? ['--log', logFile, '--log-format', 'json'] : [];
  return new Promise((resolve, reject) => {
    const child = process.getBuiltinModule('node:child_process').spawn(r.bin, ['--root', r.root, ...log, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: r.env });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(cannotStart(r, err)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const msg = (logFile && runtimeError(logFile)) || lastLine(stderr) || `runc ${args[0]} exited with status ${code}`;
      reject(new SkiffError('internal', msg, { exitCode: runtimeErrorExitCode(msg) }));
    });
  });
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  return m ? JSON.parse(`"${m[1]}"`) : last;
}

/** The last error runc logged (its JSON log), or undefined. */
export function runtimeError(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  let msg: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as { level?: string; msg?: string };
      if (rec.level === 'error' && rec.msg) msg = rec.msg;
    } catch {
      // a torn last line
    }
  }
  return msg;
}

/** docker's mapping of a failed start: 127 command not found, 126 cannot be invoked, else 125. */
export function runtimeErrorExitCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message) && /exec[: ]/.test(message)) return 127;
  if (/permission denied|exec format error|is a directory/i.test(message) && /exec[: ]/.test(message)) return 126;
  return 125;
}

/** The part of runc's message a user needs: drop runc's own prefixes. */
export function shortRuntimeError(message: string): string {
  return message.replace(/^runc (run|create|start|exec) failed: /, '').replace(/^unable to start container process: /, '');
}

/** Removes runc's state for a container, killing what is left of it. */
export async function deleteState(r: Runc, id: string): Promise<void> {
  // A runc killed with its caller may leave a container half-created ("creating"), which
  // `delete --force` refuses until the orphaned runc has finished with it: try for a while.
  for (let attempt = 0; hasState(r.root, id); attempt++) {
    try {
      await runcCommand(r, ['delete', '--force', id]);
      return;
    } catch (err) {
      // runc refuses state whose process is gone in odd ways; the directory is all that is left.
      if (!liveState(r.root, id)) {
        rmSync(join(r.root, id), { recursive: true, force: true });
        return;
      }
      if (attempt >= 20) throw err;
      await sleep(100);
    }
  }
}

/** A child's end as a shell reports it: its code, or 128+N when signal N killed it. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
}
