import type { Command } from 'commander';
import { attachChild, foregroundStdio } from '../cli/attach.js';
import { opsContext } from '../cli/context.js';
import { type CliIO, err, out } from '../cli/io.js';
import { SkiffError } from '../errors.js';

export function addStart(cmd: Command, io: CliIO, setExit: (code: number) => void): Command {
  return cmd
    .description('Start created or stopped containers (in the background unless -a)')
    .argument('<container...>', 'container names or IDs')
    .option('-a, --attach', "attach to the container's output and wait for it (one container)")
    .option('-i, --interactive', "attach stdin as well (with -a)")
    .action(async (refs: string[], f: { attach?: boolean; interactive?: boolean }, c: Command) => {
      const ctx = opsContext(c, io);
      if (f.attach || f.interactive) {
        if (refs.length !== 1) throw new SkiffError('usage', 'start -a attaches to one container at a time');
        let release: (() => void) | undefined;
        try {
          const code = await (await import('../ops/run-container.js')).startContainer(ctx, refs[0]!, {
            detach: false,
            stdio: foregroundStdio(io, Boolean(f.interactive)),
            output: io,
            onChild: (child) => (release = attachChild(io, child)),
          });
          setExit(code ?? 0);
        } finally {
          release?.();
        }
        return;
      }
      let failed: SkiffError | undefined;
      for (const ref of refs) {
        try {
          await (await import('../ops/run-container.js')).startContainer(ctx, ref, { detach: true });
          out(io, ref);
        } catch (e) {
          if (!(e instanceof SkiffError)) throw e;
          err(io, `skiff: ${e.message}`);
          failed ??= e;
        }
      }
      if (failed) setExit(failed.exitCode);
    });
}

export function registerStart(program: Command, io: CliIO, setExit: (code: number) => void): void {
  addStart(program.command('start'), io, setExit);
}
