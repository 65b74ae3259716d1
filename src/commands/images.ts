import type { Command } from 'commander';
import { renderImages } from '../cli/render-images.js';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';

export interface ImagesFlags {
  quiet?: boolean;
  digests?: boolean;
  trunc: boolean;
  format?: string;
}

export function addImagesFlags(cmd: Command): Command {
  return cmd
    .option('-q, --quiet', 'print image IDs only')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'do not truncate IDs')
    .option('--format <format>', "'table', 'json' (one object per line) or a Go template such as '{{.Repository}}:{{.Tag}}'");
}

export function registerImages(program: Command, io: CliIO): void {
  addImagesFlags(program.command('images').description('List images'))
    .argument('[repository]', 'only images of this repository')
    .action(async (repository: string | undefined, opts: ImagesFlags, cmd: Command) => {
      renderImages(io, (await import('../ops/list-images.js')).listImages(opsContext(cmd, io)), opts, repository);
    });
}
