import type { Command } from 'commander';
import { attachChild, foregroundStdio } from '../cli/attach.js';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';
import { checkTerminal } from './run.js';

interface ExecFlags { detach?: boolean; interactive?: boolean; tty?: boolean; env: string[]; workdir?: string; user?: string }

export function addExec(cmd: Command, io: CliIO, setExit: (code: number) => void): Command {
  return cmd
    .description('Run a command in a running container; exits with its exit code')
    .passThroughOptions()
    .argument('<container>', 'container name or ID')
    .argument('<command...>', 'command and arguments')
    .option('-d, --detach', 'run the command in the background')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('-w, --workdir <dir>', 'working directory (absolute)')
    .option('-u, --user <user[:group]>', "user, as a name (looked up in the container's /etc/passwd) or uid")
    .action(async (ref: string, command: string[], f: ExecFlags, c: Command) => {
      checkTerminal(io, f);
      let release: (() => void) | undefined;
      try {
        const code = await (await import('../ops/exec-container.js')).execInContainer(opsContext(c, io), {
          container: ref,
          command,
          detach: Boolean(f.detach),
          interactive: Boolean(f.interactive),
          tty: Boolean(f.tty),
          env: f.env,
          ...(f.workdir !== undefined ? { workdir: f.workdir } : {}),
          ...(f.user !== undefined ? { user: f.user } : {}),
          stdio: foregroundStdio(io, Boolean(f.interactive)),
          output: io,
          onChild: (child) => (release = attachChild(io, child)),
        });
        setExit(code);
      } finally {
        release?.();
      }
    });
}

export function registerExec(program: Command, io: CliIO, setExit: (code: number) => void): void {
  addExec(program.command('exec'), io, setExit);
}
