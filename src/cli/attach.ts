// A foreground container's stdio and signals: the caller's own terminal when skiff runs as a
// process (runc then owns it directly), pipes when the CLI runs in-process (tests). Output
// without a terminal is relayed by the operation itself (it also goes to the log).
import { createRequire } from 'node:module';
import { FORWARDED_SIGNALS } from '../sys/forwarded-signals.js';
import type { Stdio } from '../sys/spawn.js';
import type { CliIO } from './io.js';

/** runc in the foreground, as run, start and exec hand it to the caller. */
export interface ForegroundChild {
  stdin: NodeJS.WritableStream | null;
  kill(sig: NodeJS.Signals): boolean;
}

export function foregroundStdio(io: CliIO, interactive: boolean): Stdio {
  if (io.isProcess) return [interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'];
  return [interactive && io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
}

/** Whether stdin is a terminal, asked of the fd: reading process.stdin would change it. */
export function stdinIsTTY(io: CliIO): boolean {
  // node:tty (and node:net under it) loads only when a command asks for a terminal.
  return Boolean(io.isProcess) && (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(0);
}

/** Pipes input given in-process and forwards this process's signals to runc, which passes them on. */
export function attachChild(io: CliIO, child: ForegroundChild): () => void {
  if (child.stdin && io.stdin) io.stdin.pipe(child.stdin);
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const h = () => {
      child.kill(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
    if (child.stdin && io.stdin) io.stdin.unpipe(child.stdin);
  };
}
