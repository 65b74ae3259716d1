// The terminal a command talks to: injected so tests can run commands in-process.
export interface CliIO {
  /**
   * True when these are this process's own stdio: a container then gets the file descriptors
   * themselves. (process.stdin is never touched: Node would make the shared fd non-blocking.)
   */
  isProcess?: boolean;
  /** In-process callers (tests) may give input to pipe into a container. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

export function out(io: CliIO, line: string): void {
  io.stdout.write(`${line}\n`);
}

export function err(io: CliIO, line: string): void {
  io.stderr.write(`${line}\n`);
}

export function useColor(io: CliIO, stream: 'stdout' | 'stderr' = 'stderr'): boolean {
  return Boolean(io[stream].isTTY) && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}
