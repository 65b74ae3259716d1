import { type Command, InvalidArgumentError } from 'commander';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';
import { renderContainers } from '../cli/render-containers.js';

interface PsFlags { all?: boolean; quiet?: boolean; last?: number; latest?: boolean; trunc: boolean; filter: string[]; format?: string }

function count(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number');
  return Number(v);
}

export function addPs(cmd: Command, io: CliIO): Command {
  return cmd
    .description('List containers (running ones, or all with -a)')
    .option('-a, --all', 'show all containers, not only running ones')
    .option('-q, --quiet', 'print container IDs only')
    .option('-n, --last <n>', 'show the n most recently created containers (any state)', count)
    .option('-l, --latest', 'show the most recently created container (any state)')
    .option('--no-trunc', 'do not truncate IDs and commands')
    .option('-f, --filter <key=value>', 'filter: id=, name=, label=KEY[=VALUE], status=, exited=CODE, ancestor=IMAGE (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--format <format>', "'table', 'json' (one object per line) or a Go template such as '{{.ID}} {{.Status}}'")
    .action(async (f: PsFlags, c: Command) => {
      const list = await (await import('../ops/list-containers.js')).listContainers(opsContext(c, io), {
        all: Boolean(f.all),
        ...(f.latest ? { last: 1 } : f.last !== undefined ? { last: f.last } : {}),
        filters: (await import('../ops/container-filters.js')).parseFilters(f.filter),
      });
      renderContainers(io, list, { trunc: f.trunc, ...(f.quiet ? { quiet: true } : {}), ...(f.format ? { format: f.format } : {}) });
    });
}

export function registerPs(program: Command, io: CliIO): void {
  addPs(program.command('ps'), io);
}
