// The per-container outcome docker prints for stop, kill, rm and the like: each name that
// worked on stdout, each failure on stderr, the first failure's exit code.
import { type CliIO, err, out } from '../cli/io.js';
import type { SkiffError } from '../errors.js';

export function reportEach(io: CliIO, setExit: (code: number) => void, res: { done: string[]; errors: SkiffError[] }): void {
  for (const r of res.done) out(io, r);
  for (const e of res.errors) err(io, `skiff: ${e.message}`);
  if (res.errors.length > 0) setExit(res.errors[0]!.exitCode);
}

/** A prune's report: the removed names under their heading (none when nothing went). */
export function reportPruned(io: CliIO, setExit: (code: number) => void, heading: string, res: { done: string[]; errors: SkiffError[] }): void {
  if (res.done.length > 0) out(io, heading);
  reportEach(io, setExit, res);
}
