// The per-container outcome docker prints for stop, kill, rm and the like: each name that
// worked on stdout, each failure on stderr, the first failure's exit code.
import { type CliIO, err, out } from '../cli/io.js';
import type { SkiffError } from '../errors.js';

export function reportEach(io: CliIO, setExit: (code: number) => void, res: { done: string[]; errors: SkiffError[] }): void {
  for (const r of res.done) out(io, r);
  for (const e of res.errors) err(io, `skiff: ${e.message}`);
  if (res.errors.length > 0) setExit(res.errors[0]!.exitCode);
}
