// docker's "Are you sure? [y/N]" for destructive commands without --force. Only an explicit
// yes proceeds; end of input (a script with no stdin) is a no.
import { SkiffError } from '../errors.js';
import type { CliIO } from './io.js';

function confirm(io: CliIO, question: string): Promise<boolean> {
  const input = io.stdin ?? (io.isProcess ? process.stdin : undefined);
  io.stderr.write(`${question} [y/N] `);
  if (!input) return Promise.resolve(false);
  return new Promise((resolve) => {
    // Loaded here, not at start: only prune and rm questions read a line.
    const rl = process.getBuiltinModule('node:readline').createInterface({ input, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(line.trim()));
    });
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}

/** Unless forced, asks; anything but yes stops the command with a usage error, having removed nothing. */
export async function confirmOrStop(io: CliIO, force: boolean | undefined, question: string): Promise<void> {
  if (!force && !(await confirm(io, question))) throw new SkiffError('usage', 'not confirmed; nothing removed (use -f to skip the question)');
}
