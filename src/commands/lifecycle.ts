// stop, kill, restart and wait: signals and exits of running containers.
import { type Command, InvalidArgumentError } from 'commander';
import { opsContext } from '../cli/context.js';
import { type CliIO, out } from '../cli/io.js';
import { reportEach } from './report.js';

type SetExit = (code: number) => void;

function seconds(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError('expected whole seconds');
  return Number(v);
}

export function addStop(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Stop running containers: the stop signal, then SIGKILL after a grace period')
    .argument('<container...>', 'container names or IDs')
    .option('-t, --time <seconds>', 'seconds to wait before killing (default 10)', seconds)
    .option('-s, --signal <signal>', "signal to send first (default: the image's StopSignal, else SIGTERM)")
    .action(async (refs: string[], f: { time?: number; signal?: string }, c: Command) => {
      reportEach(io, setExit, await (await import('../ops/signal-containers.js')).stopContainers(opsContext(c, io), refs, {
        ...(f.time !== undefined ? { timeoutSeconds: Math.max(0, f.time) } : {}),
        ...(f.signal ? { signal: f.signal } : {}),
      }));
    });
}

export function addKill(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Send a signal to running containers (default SIGKILL)')
    .argument('<container...>', 'container names or IDs')
    .option('-s, --signal <signal>', 'signal name or number', 'SIGKILL')
    .action(async (refs: string[], f: { signal: string }, c: Command) => {
      reportEach(io, setExit, await (await import('../ops/signal-containers.js')).killContainers(opsContext(c, io), refs, f.signal));
    });
}

export function addRestart(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Stop (if running) and start containers again, in the background')
    .argument('<container...>', 'container names or IDs')
    .option('-t, --time <seconds>', 'seconds to wait before killing (default 10)', seconds)
    .action(async (refs: string[], f: { time?: number }, c: Command) => {
      reportEach(io, setExit, await (await import('../ops/signal-containers.js')).restartContainers(opsContext(c, io), refs, f.time !== undefined ? { timeoutSeconds: Math.max(0, f.time) } : {}));
    });
}

export function addWait(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Wait until containers stop, then print their exit codes')
    .argument('<container...>', 'container names or IDs')
    .action(async (refs: string[], _f: unknown, c: Command) => {
      const res = await (await import('../ops/signal-containers.js')).waitContainers(opsContext(c, io), refs, (_ref, code) => out(io, code === null ? '-1' : String(code)));
      reportEach(io, setExit, { done: [], errors: res.errors });
    });
}

export function registerLifecycle(program: Command, io: CliIO, setExit: SetExit): void {
  addStop(program.command('stop'), io, setExit);
  addKill(program.command('kill'), io, setExit);
  addRestart(program.command('restart'), io, setExit);
  addWait(program.command('wait'), io, setExit);
}
