// `skiff system …`: check, df and prune, across containers, networks and images.
import type { Command } from 'commander';
import { confirmOrStop } from '../cli/confirm.js';
import { opsContext } from '../cli/context.js';
import { humanSize } from '../cli/humanize.js';
import { type CliIO, out } from '../cli/io.js';
import { renderList } from '../cli/render-list.js';
import { reportPruned } from './report.js';

type SetExit = (code: number) => void;

function percent(part: number, whole: number): string {
  return whole > 0 ? ` (${Math.round((part / whole) * 100)}%)` : '';
}

/** docker's closing lines of an image or system prune. */
function reportImagesPruned(io: CliIO, events: string[], reclaimed: number): void {
  if (events.length > 0) out(io, 'Deleted Images:');
  for (const e of events) out(io, e);
  out(io, `Total reclaimed space: ${humanSize(reclaimed)}`);
}

function addSystemDf(cmd: Command, io: CliIO): Command {
  return cmd
    .description('Show the disk space images and containers use, and what a prune would free')
    .option('--format <format>', "'table', 'json' (one object per line) or a Go template such as '{{.Type}} {{.Size}}'")
    .action(async (f: { format?: string }, c: Command) => {
      const rows = (await import('../ops/disk-usage.js')).diskUsage(opsContext(c, io)).map((u) => ({
        Type: u.type,
        TotalCount: u.total,
        Active: u.active,
        Size: humanSize(u.size),
        Reclaimable: `${humanSize(u.reclaimable)}${percent(u.reclaimable, u.size)}`,
      }));
      renderList(io, rows, f.format ? { format: f.format } : {}, (r) => r.Type, (rs) => ({
        headers: ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
        body: rs.map((r) => [r.Type, String(r.TotalCount), String(r.Active), r.Size, r.Reclaimable]),
      }), { TotalCount: 'TOTAL' });
    });
}

function addSystemPrune(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Remove stopped containers, unused networks and dangling images (with -a, every image no container uses)')
    .option('-a, --all', 'remove every image no container uses, not only dangling content')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--volumes', 'prune volumes too (skiff has no named volumes: nothing more is removed)')
    .action(async (f: { all?: boolean; force?: boolean }, c: Command) => {
      const images = f.all ? '  - all images without at least one container associated to them' : '  - all dangling images';
      const question = `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n${images}\nAre you sure you want to continue?`;
      await confirmOrStop(io, f.force, question);
      const res = await (await import('../ops/prune-system.js')).pruneSystem(opsContext(c, io), Boolean(f.all));
      reportPruned(io, setExit, 'Deleted Containers:', res.containers);
      reportPruned(io, setExit, 'Deleted Networks:', res.networks);
      reportImagesPruned(io, res.images.events, res.reclaimed);
    });
}

export function addImagePrune(cmd: Command, io: CliIO): Command {
  return cmd
    .description('Remove dangling image content (with -a, every image no container uses)')
    .option('-a, --all', 'remove every image no container uses, not only dangling content')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (f: { all?: boolean; force?: boolean }, c: Command) => {
      const question = f.all
        ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?'
        : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
      await confirmOrStop(io, f.force, question);
      const res = (await import('../ops/prune-images.js')).pruneImages(opsContext(c, io), Boolean(f.all));
      reportImagesPruned(io, res.events, res.reclaimed);
    });
}

function addSystemCheck(cmd: Command, io: CliIO, setExit: SetExit): Command {
  return cmd
    .description('Check the store for damage (records without files, files without records, leaked mounts), and fix it with --repair')
    .option('--repair', 'fix what is found')
    .action(async (f: { repair?: boolean }, c: Command) => {
      const findings = await (await import('../ops/check-store.js')).checkStore(opsContext(c, io), Boolean(f.repair));
      for (const x of findings) out(io, `${x.repaired ? 'repaired' : x.garbage ? 'note' : 'problem'}: ${x.kind}: ${x.message}`);
      const open = findings.filter((x) => !x.repaired && !x.garbage).length;
      const fixed = findings.filter((x) => x.repaired).length;
      if (open > 0) {
        out(io, `${open} problem${open === 1 ? '' : 's'} found; run skiff system check --repair to fix ${open === 1 ? 'it' : 'them'}`);
        // As fsck: damage found and left is not success.
        setExit(1);
      } else {
        out(io, fixed > 0 ? `${fixed} problem${fixed === 1 ? '' : 's'} repaired; the store is consistent` : 'the store is consistent');
      }
    });
}

export function registerSystemCommands(program: Command, io: CliIO, setExit: SetExit): void {
  const group = program.command('system').description('Manage skiff: disk usage, pruning and store checks');
  addSystemCheck(group.command('check'), io, setExit);
  addSystemDf(group.command('df'), io);
  addSystemPrune(group.command('prune'), io, setExit);
}
