// The terminal a command talks to: injected so tests can run commands in-process.
export interface CliIO {
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
