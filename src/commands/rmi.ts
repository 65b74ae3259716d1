import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import { type CliIO, err, out } from '../cli/io.js';

export function addRmi(cmd: Command, io: CliIO, setExit: (code: number) => void): Command {
  return cmd
    .description('Remove one or more images, and the layers nothing else uses')
    .argument('<image...>', 'image names or IDs')
    .option('-f, --force', 'remove an image ID with several names; ignore missing images')
    .action(async (names: string[], opts: { force?: boolean }, c: Command) => {
      const res = (await import('../ops/remove-images.js')).removeImages(opsContext(c, io), { names, force: Boolean(opts.force) });
      for (const e of res.events) out(io, e.type === 'untagged' ? `Untagged: ${e.name}` : `Deleted: ${e.id}`);
      for (const e of res.errors) err(io, `skiff: ${e.message}`);
      if (res.errors.length > 0) setExit(res.errors[0]!.exitCode);
    });
}

export function registerRmi(program: Command, io: CliIO, setExit: (code: number) => void): void {
  addRmi(program.command('rmi'), io, setExit);
}
