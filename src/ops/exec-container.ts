// exec: another process in a running container, through runc exec. The user is resolved in
// the container's own /etc/passwd, seen through /proc/PID/root with every mount it has.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Process, Spec } from '../oci/runtime-types.js';
import { SkiffError } from '../errors.js';
import { resolveUser } from '../oci/image-user.js';
import { containerLayout } from '../runtime/container-layout.js';
import { type OutputSinks, relayOutput } from '../runtime/k8s-log-writer.js';
import { checkExecutable } from '../runtime/find-executable.js';
import { readImageFile } from '../runtime/read-in-root.js';
import { cannotStart, exitStatus, runtimeError, runtimeErrorExitCode, shortRuntimeError } from '../runtime/runc.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { requireContainer } from './find-container.js';
import { runcFor } from './start-container.js';
import { isProcessAlive } from '../store/leases.js';
import { namesIn } from '../sys/read-dir.js';
import { type SpawnedProcess, type Stdio, spawnProcess } from '../sys/spawn.js';

/** The process spec and log a killed exec left in the container's directory (named by its pid). */
function sweepExecFiles(dir: string): void {
  for (const name of namesIn(dir)) {
    const m = /^exec-(\d+)\.(json|log)$/.exec(name);
    if (m && !isProcessAlive(Number(m[1]))) rmSync(`${dir}/${name}`, { force: true });
  }
}

export interface ExecOptions {
  container: string;
  command: string[];
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  env: string[];
  workdir?: string;
  user?: string;
  stdio: Stdio;
  /** Where the command's output goes when it has no terminal (piped through this process). */
  output?: OutputSinks;
  onChild?: (child: SpawnedProcess) => void;
}

/** The command's exit code (0 once a detached command has started). */
export function execInContainer(ctx: OpsContext, o: ExecOptions): Promise<number> {
  return withStore(ctx, async (store) => {
    const c = refresh(store, requireContainer(store, o.container));
    if (c.state !== 'running' || !c.pid) throw new SkiffError('conflict', `container ${c.name} is not running; start it before exec`);
    const root = `/proc/${c.pid}/root`;
    const cwd = o.workdir ?? c.spec.process.cwd;
    if (!cwd.startsWith('/')) throw new SkiffError('usage', `the working directory ${JSON.stringify(cwd)} is invalid: it needs to be an absolute path`);
    const user = o.user !== undefined ? resolveUser(o.user, readImageFile(root, '/etc/passwd'), readImageFile(root, '/etc/group')) : undefined;
    // A bare K takes this shell's value, and is left out when unset there (docker's rule).
    const extra = o.env.flatMap((e) => (e.includes('=') ? [e] : ctx.env[e] !== undefined ? [`${e}=${ctx.env[e]}`] : []));
    const env = mergeEnv(c.spec.process.env, extra);
    checkExecutable({ root, command: o.command[0]!, env, cwd });

    const runc = runcFor(ctx, store);
    const layout = containerLayout(store.paths, c.id);
    const dir = layout.dir;
    sweepExecFiles(dir);
    const log = `${dir}/exec-${process.pid}.log`;
    // A whole process spec, from the container's own: runc exec's flags would keep the
    // container's supplementary groups for another user.
    const base = (JSON.parse(readFileSync(layout.config, 'utf8')) as Spec).process!;
    const proc: Process = {
      ...base,
      terminal: o.tty,
      args: o.command,
      env,
      cwd,
      user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : base.user,
    };
    delete proc.consoleSize;
    const procFile = `${dir}/exec-${process.pid}.json`;
    writeFileSync(procFile, JSON.stringify(proc));
    const args = ['--root', runc.root, '--log', log, '--log-format', 'json', 'exec', '--process', procFile];
    if (o.detach) args.push('--detach');
    args.push(c.id);
    const relay = !o.detach && !o.tty && o.output !== undefined;
    let child: SpawnedProcess;
    try {
      child = spawnProcess(runc.bin, args, { stdio: o.detach ? ['ignore', 'ignore', 'ignore'] : relay ? [o.stdio[0], 'pipe', 'pipe'] : o.stdio, env: runc.env });
    } catch (err) {
      rmSync(procFile, { force: true });
      throw cannotStart(runc, err);
    }
    o.onChild?.(child);
    const relayed = relay ? relayOutput(child, o.output!) : Promise.resolve();
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (status: number | null, signal: NodeJS.Signals | null) => resolve(exitStatus(status, signal)));
    });
    await relayed;
    const failure = code !== 0 ? runtimeError(log) : undefined;
    rmSync(log, { force: true });
    rmSync(procFile, { force: true });
    if (failure) throw new SkiffError('internal', shortRuntimeError(failure), { exitCode: runtimeErrorExitCode(failure), reported: !o.detach });
    return code;
  });
}

/** Later values replace earlier ones by key, as a process environment must hold each key once. */
function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) out.set(e.split('=', 1)[0]!, e);
  return [...out.values()];
}
