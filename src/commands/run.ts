import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { attachChild, foregroundStdio, stdinIsTTY } from '../cli/attach.js';
import { opsContext } from '../cli/context.js';
import { type CliIO, err, out } from '../cli/io.js';
import { PullProgress } from '../cli/pull-progress.js';
import { SkiffError } from '../errors.js';
import type { CreateHooks } from '../ops/create-container.js';
import { type CreateFlags, addCreateFlags, toCreateOptions } from './create-flags.js';

/** runc gives a foreground container the caller's own terminal, so -t needs one on stdin. */
export function checkTerminal(io: CliIO, f: { tty?: boolean; detach?: boolean }): void {
  if (f.tty && !f.detach && !stdinIsTTY(io)) throw new SkiffError('usage', 'the input device is not a TTY; run without -t, or from a terminal');
}

export function checkCidfile(file: string | undefined): void {
  if (file && existsSync(file)) throw new SkiffError('usage', `container ID file ${file} already exists`);
}

/** Pull progress on stderr for an image that is missing locally. */
export function pullHooks(io: CliIO): CreateHooks & { progress: () => PullProgress | undefined } {
  let progress: PullProgress | undefined;
  return {
    onPullStart: (image) => err(io, `Unable to find image '${image}' locally`),
    onPullEvent: (e) => {
      progress ??= new PullProgress(io);
      progress.event(e);
    },
    progress: () => progress,
  };
}

export function registerRun(program: Command, io: CliIO, setExit: (code: number) => void): void {
  addCreateFlags(program.command('run').description('Create and start a container from an image'))
    .option('-d, --detach', 'run in the background (held by conmon) and print the container ID')
    .action(async (image: string, args: string[], f: CreateFlags & { detach?: boolean }, c: Command) => {
      checkTerminal(io, f);
      checkCidfile(f.cidfile);
      const opts = toCreateOptions(image, args, f);
      const hooks = pullHooks(io);
      let detachIO: (() => void) | undefined;
      try {
        const res = await (await import('../ops/run-container.js')).runContainer(
          opsContext(c, io),
          opts,
          {
            detach: Boolean(f.detach),
            stdio: foregroundStdio(io, opts.interactive),
            output: io,
            onCreated: async (ctr) => {
              await hooks.progress()?.finish();
              if (f.cidfile) writeFileSync(f.cidfile, ctr.id, { flag: 'wx' });
            },
            onChild: (child) => {
              detachIO = attachChild(io, child);
            },
          },
          hooks,
        );
        if (f.detach) out(io, res.container.id);
        else setExit(res.exitCode ?? 0);
      } catch (e) {
        // A spinner left drawing would keep this process alive.
        await hooks.progress()?.fail();
        throw e;
      } finally {
        detachIO?.();
      }
    });
}
