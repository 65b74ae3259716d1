// `skiff network …`: create, ls, inspect, rm and prune user networks.
import type { Command } from 'commander';
import { confirmOrStop } from '../cli/confirm.js';
import { opsContext } from '../cli/context.js';
import { type CliIO, out } from '../cli/io.js';
import { renderInspect } from '../cli/render-inspect.js';
import { renderNetworks } from '../cli/render-networks.js';
import { SkiffError } from '../errors.js';
import { parseLabels } from '../runtime/mount-flags.js';
import { reportEach, reportPruned } from './report.js';

type SetExit = (code: number) => void;
const collect = (v: string, p: string[]) => [...p, v];

interface CreateFlags { subnet?: string; gateway?: string; internal?: boolean; driver: string; label: string[] }

function addNetworkCreate(cmd: Command, io: CliIO): Command {
  return cmd
    .description('Create a bridge network; its containers reach each other by name')
    .argument('<name>', 'the network\'s name')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.91.0.0/24 (default: a free /24 of 10.90.0.0/16)')
    .option('--gateway <ip>', 'the bridge\'s address in the subnet (default: its first host address)')
    .option('--internal', 'no route out of the network: its containers reach only each other and the host')
    .option('-d, --driver <driver>', 'network driver: bridge', 'bridge')
    .option('-l, --label <k=v>', 'set a label (repeatable)', collect, [])
    .action(async (name: string, f: CreateFlags, c: Command) => {
      if (f.driver !== 'bridge') throw new SkiffError('unsupported', `unsupported network driver ${JSON.stringify(f.driver)}: only bridge`);
      const n = await (await import('../ops/networks.js')).createNetwork(opsContext(c, io), {
        name,
        ...(f.subnet !== undefined ? { subnet: f.subnet } : {}),
        ...(f.gateway !== undefined ? { gateway: f.gateway } : {}),
        internal: Boolean(f.internal),
        labels: parseLabels(f.label),
      });
      out(io, n.id);
    });
}

interface LsFlags { quiet?: boolean; trunc: boolean; filter: string[]; format?: string }

function addNetworkLs(cmd: Command, io: CliIO): Command {
  return cmd
    .description('List networks')
    .option('-q, --quiet', 'print network IDs only')
    .option('--no-trunc', 'do not truncate IDs')
    .option('-f, --filter <key=value>', 'filter: name=, id=, label=KEY[=VALUE], driver= (repeatable)', collect, [])
    .option('--format <format>', "'table', 'json' (one object per line) or a Go template such as '{{.Name}} {{.Subnet}}'")
    .action(async (f: LsFlags, c: Command) => {
      const ops = await import('../ops/networks.js');
      const list = ops.listNetworks(opsContext(c, io), ops.parseNetworkFilters(f.filter));
      renderNetworks(io, list, { trunc: f.trunc, ...(f.quiet ? { quiet: true } : {}), ...(f.format ? { format: f.format } : {}) });
    });
}

function addNetworkInspect(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Show detailed information about networks as JSON')
    .argument('<network...>', 'network names or IDs')
    .option('-f, --format <format>', 'a Go template such as {{.IPAM.Config}}, or json (the default)')
    .action(async (refs: string[], f: { format?: string }, c: Command) => {
      const res = (await import('../ops/networks.js')).inspectNetworks(opsContext(c, io), refs);
      renderInspect(io, setExit, res.found, res.errors, f.format);
    });
}

function addNetworkRm(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Remove networks that no container uses')
    .argument('<network...>', 'network names or IDs')
    .option('-f, --force', 'remove the containers that use them too (running ones are killed)')
    .action(async (refs: string[], f: { force?: boolean }, c: Command) => {
      reportEach(io, setExit, await (await import('../ops/networks.js')).removeNetworks(opsContext(c, io), refs, Boolean(f.force)));
    });
}

function addNetworkPrune(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Remove every user network that no container uses')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (f: { force?: boolean }, c: Command) => {
      await confirmOrStop(io, f.force, 'WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue?');
      reportPruned(io, setExit, 'Deleted Networks:', await (await import('../ops/networks.js')).pruneNetworks(opsContext(c, io)));
    });
}

export function registerNetworkCommands(program: Command, io: CliIO, setExit: SetExit): void {
  const group = program.command('network').description('Manage networks');
  addNetworkCreate(group.command('create'), io);
  addNetworkInspect(group.command('inspect'), io, setExit);
  addNetworkLs(group.command('ls').alias('list'), io);
  addNetworkPrune(group.command('prune'), io, setExit);
  addNetworkRm(group.command('rm').alias('remove'), io, setExit);
}
