// Leftovers of killed processes: ingest files, half-unpacked snapshots, trash being deleted.
// Each carries its owner's pid in its name; those whose owner is gone are removed.
import { rmSync } from 'node:fs';
import { namesIn } from '../sys/read-dir.js';
import { join } from 'node:path';
import { isProcessAlive } from './leases.js';
import type { StorePaths } from './paths.js';

function ownerPid(name: string, re: RegExp): number | undefined {
  const m = re.exec(name);
  return m ? Number(m[1]) : undefined;
}

function sweep(dir: string, re: RegExp): number {
  let removed = 0;
  for (const name of namesIn(dir)) {
    const pid = ownerPid(name, re);
    if (pid === undefined || isProcessAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Removes what dead processes left behind; returns how many items went. */
export function sweepDebris(paths: StorePaths): number {
  return (
    sweep(paths.ingest, /^[0-9a-f]{64}\.(\d+)\.[0-9a-f]+$/) +
    sweep(paths.snapshots, /^(?:tmp|trash)-(\d+)-[0-9a-f]+$/) +
    sweep(paths.tmp, /^(\d+)-/)
  );
}
