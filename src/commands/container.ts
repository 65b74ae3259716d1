// `skiff container …`: the container management group, plus top-level inspect (containers
// first, then images, as docker's inspect does).
import type { Command } from 'commander';
import { confirmOrStop } from '../cli/confirm.js';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';
import { renderInspect } from '../cli/render-inspect.js';
import { SkiffError } from '../errors.js';
import { addCreate } from './create.js';
import { addExec } from './exec.js';
import { addKill, addRestart, addStop, addWait } from './lifecycle.js';
import { addLogs } from './logs.js';
import { addPort } from './port.js';
import { addPs } from './ps.js';
import { reportPruned } from './report.js';
import { addRm } from './rm.js';
import { addStart } from './start.js';

type SetExit = (code: number) => void;

function addContainerInspect(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Show detailed information about containers as JSON')
    .argument('<container...>', 'container names or IDs')
    .option('-f, --format <format>', 'a Go template such as {{.State.Status}}, or json (the default)')
    .action(async (refs: string[], f: { format?: string }, c: Command) => {
      const res = (await import('../ops/inspect-container.js')).inspectContainers(opsContext(c, io), refs);
      renderInspect(io, setExit, res.found, res.errors, f.format);
    });
}

function addPrune(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Remove every container that is not running')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (f: { force?: boolean }, c: Command) => {
      await confirmOrStop(io, f.force, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?');
      reportPruned(io, setExit, 'Deleted Containers:', await (await import('../ops/prune-containers.js')).pruneContainers(opsContext(c, io)));
    });
}

export function registerContainerCommands(program: Command, io: CliIO, setExit: SetExit): void {
  const group = program.command('container').description('Manage containers');
  addCreate(group.command('create'), io);
  addExec(group.command('exec'), io, setExit);
  addContainerInspect(group.command('inspect'), io, setExit);
  addKill(group.command('kill'), io, setExit);
  addLogs(group.command('logs'), io);
  addPs(group.command('ls').alias('list').alias('ps'), io);
  addPort(group.command('port'), io);
  addPrune(group.command('prune'), io, setExit);
  addRestart(group.command('restart'), io, setExit);
  addRm(group.command('rm').alias('remove'), io, setExit);
  addStart(group.command('start'), io, setExit);
  addStop(group.command('stop'), io, setExit);
  addWait(group.command('wait'), io, setExit);
  // conmon's exit command: records the exit and removes an --rm container. Not for people.
  group
    .command('cleanup', { hidden: true })
    .argument('<id>')
    .option('--attachment <token>')
    .action(async (id: string, f: { attachment?: string }, c: Command) => {
      await (await import('../ops/prune-containers.js')).cleanupAfterExit(opsContext(c, io), id, f.attachment);
    });
}

export function registerInspect(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('inspect')
    .description('Show detailed information about containers or images as JSON')
    .argument('<name...>', 'container or image names or IDs')
    .option('-f, --format <format>', 'a Go template such as {{.Id}}, or json (the default)')
    .option('--type <type>', 'only look for this kind: container or image')
    .action(async (names: string[], f: { format?: string; type?: string }, c: Command) => {
      if (f.type && f.type !== 'container' && f.type !== 'image') throw new SkiffError('usage', `invalid --type ${JSON.stringify(f.type)}: container or image`);
      const ctx = opsContext(c, io);
      const found: object[] = [];
      const errors: SkiffError[] = [];
      for (const name of names) {
        const ctr = f.type === 'image' ? undefined : (await import('../ops/inspect-container.js')).inspectContainers(ctx, [name]);
        if (ctr && ctr.found.length > 0) {
          found.push(...ctr.found);
          continue;
        }
        const img = f.type === 'container' ? undefined : (await import('../ops/inspect-image.js')).inspectImages(ctx, [name]);
        if (img && img.images.length > 0) found.push(...img.images);
        else errors.push(new SkiffError('not-found', `no such object: ${name}`));
      }
      renderInspect(io, setExit, found, errors, f.format);
    });
}
