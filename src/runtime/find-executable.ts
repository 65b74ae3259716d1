// docker's 127 and 126 need to know, before runc runs, whether the command exists and can be
// executed: once runc runs, its stderr is the container's and its failures all exit 1.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { SkiffError } from '../errors.js';
import { resolveInRoot } from './read-in-root.js';

export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

export interface ExecutableCheck {
  /** The root the command is looked up in: a mounted rootfs, or /proc/PID/root of a running container. */
  root: string;
  command: string;
  env: string[];
  cwd: string;
  /** Destinations of mounts made inside the container, which `root` may not show: paths under them are not judged. */
  hidden?: string[];
}

/** Throws docker's 127/126 errors; returns quietly when the command looks runnable or cannot be judged. */
export function checkExecutable(c: ExecutableCheck): void {
  const path = c.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const candidates = c.command.includes('/')
    ? [posix.resolve(c.cwd, c.command)]
    : path.split(':').filter(Boolean).map((d) => posix.join(posix.resolve(c.cwd, d), c.command));
  const hidden = c.hidden ?? [];
  if (candidates.some((p) => hidden.some((h) => p === h || p.startsWith(h.endsWith('/') ? h : `${h}/`)))) return;
  let denied = false;
  for (const p of candidates) {
    const host = resolveInRoot(c.root, p);
    if (!host) continue;
    let st;
    try {
      st = statSync(host);
    } catch {
      continue;
    }
    if (st.isFile() && (st.mode & 0o111) !== 0) return;
    // A path search skips what it cannot execute, as execvp does, and reports it only if nothing else fits.
    denied = true;
  }
  if (denied) throw new SkiffError('internal', `exec: ${JSON.stringify(c.command)}: permission denied`, { exitCode: EXIT_NOT_EXECUTABLE });
  const why = c.command.includes('/') ? `stat ${c.command}: no such file or directory` : 'executable file not found in $PATH';
  throw new SkiffError('not-found', `exec: ${JSON.stringify(c.command)}: ${why}`, { exitCode: EXIT_NOT_FOUND });
}
