// `skiff image …`: the image management group (inspect, ls, prune, rm, tag, pull).
import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';
import { renderImages } from '../cli/render-images.js';
import { renderInspect } from '../cli/render-inspect.js';
import { type ImagesFlags, addImagesFlags } from './images.js';
import { registerPull } from './pull.js';
import { addRmi } from './rmi.js';
import { addTag } from './tag.js';
import { addImagePrune } from './system.js';

export function registerImageCommands(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const image = program.command('image').description('Manage images');
  image
    .command('inspect')
    .description('Show detailed information about images as JSON')
    .argument('<image...>', 'image names or IDs')
    .option('--format <format>', 'a Go template such as {{.Id}}, or json (the default)')
    .action(async (names: string[], opts: { format?: string }, c: Command) => {
      const res = (await import('../ops/inspect-image.js')).inspectImages(opsContext(c, io), names);
      renderInspect(io, setExit, res.images, res.errors, opts.format);
    });
  addImagesFlags(image.command('ls').alias('list').description('List images'))
    .argument('[repository]', 'only images of this repository')
    .action(async (repository: string | undefined, opts: ImagesFlags, c: Command) => {
      renderImages(io, (await import('../ops/list-images.js')).listImages(opsContext(c, io)), opts, repository);
    });
  addImagePrune(image.command('prune'), io);
  addRmi(image.command('rm').alias('remove'), io, setExit);
  addTag(image.command('tag'), io);
  registerPull(image, io);
}
