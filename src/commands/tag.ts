import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';

export function addTag(cmd: Command, io: CliIO): Command {
  return cmd
    .description('Create a new name (tag) for an existing image')
    .argument('<source>', 'existing image name or ID')
    .argument('<target>', 'new name, e.g. myrepo/app:v2')
    .action(async (source: string, target: string, _opts: object, c: Command) => {
      (await import('../ops/tag-image.js')).tagImage(opsContext(c, io), source, target);
    });
}

export function registerTag(program: Command, io: CliIO): void {
  addTag(program.command('tag'), io);
}
