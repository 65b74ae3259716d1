import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';
import { reportEach } from './report.js';

export function addRm(cmd: Command, io: CliIO, setExit: (code: number) => void): Command {
  return cmd
    .description('Remove one or more containers: their mount, files and record')
    .argument('<container...>', 'container names or IDs')
    .option('-f, --force', 'kill and remove running containers; ignore missing ones')
    .action(async (refs: string[], f: { force?: boolean }, c: Command) => {
      const res = await (await import('../ops/remove-containers.js')).removeContainers(opsContext(c, io), refs, Boolean(f.force));
      reportEach(io, setExit, res);
    });
}

export function registerRm(program: Command, io: CliIO, setExit: (code: number) => void): void {
  addRm(program.command('rm'), io, setExit);
}
