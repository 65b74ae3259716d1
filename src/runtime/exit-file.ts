// conmon records a container's end as a file named after the container id in --exit-dir,
// holding the status as decimal text. It decodes the wait status the way a shell does:
// a normal exit writes the exit code, a death by signal N writes 128+N (SIGKILL -> 137,
// verified with `runc kill ID KILL`), so the number is already docker's exit code.
// The file is written only after conmon drained the container's output into the log and
// fsynced it: once it exists, the log is complete. A failed `runc create` writes no file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The container's exit code recorded by conmon, or undefined while it runs (or never ran). */
export function readExitFile(exitDir: string, id: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(exitDir, id), 'utf8');
  } catch {
    return undefined;
  }
  // conmon writes with g_file_set_contents (temp file + rename), so a reader never sees it torn;
  // -1 means conmon could not tell (the status was neither an exit nor a signal).
  const code = Number.parseInt(text.trim(), 10);
  return Number.isNaN(code) ? undefined : code;
}
