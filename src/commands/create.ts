import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import { type CliIO, out } from '../cli/io.js';
import { type CreateFlags, addCreateFlags, toCreateOptions } from './create-flags.js';
import { checkCidfile, pullHooks } from './run.js';

export function addCreate(cmd: Command, io: CliIO): Command {
  return addCreateFlags(cmd.description('Create a container without starting it; prints its ID')).action(
    async (image: string, args: string[], f: CreateFlags, c: Command) => {
      checkCidfile(f.cidfile);
      const hooks = pullHooks(io);
      let ctr;
      try {
        ctr = await (await import('../ops/create-container.js')).createContainer(opsContext(c, io), toCreateOptions(image, args, f), hooks);
      } catch (e) {
        // A spinner left drawing would keep this process alive.
        await hooks.progress()?.fail();
        throw e;
      }
      await hooks.progress()?.finish();
      if (f.cidfile) writeFileSync(f.cidfile, ctr.id, { flag: 'wx' });
      out(io, ctr.id);
    },
  );
}

export function registerCreate(program: Command, io: CliIO): void {
  addCreate(program.command('create'), io);
}
