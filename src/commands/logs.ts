import { type Command, InvalidArgumentError } from 'commander';
import { opsContext } from '../cli/context.js';
import type { CliIO } from '../cli/io.js';

function lines(v: string): number | undefined {
  if (v === 'all') return undefined;
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("expected a number of lines or 'all'");
  return Number(v);
}

export function addLogs(cmd: Command, io: CliIO): Command {
  return cmd
    .description("Show a container's output (stdout and stderr, as written)")
    .argument('<container>', 'container name or ID')
    .option('-f, --follow', 'keep printing new output until the container exits')
    .option('-n, --tail <n>', "only the last n lines ('all' for everything)", lines)
    .option('-t, --timestamps', 'prefix each line with its time')
    .option('--since <time>', 'only lines since this time: RFC 3339, Unix seconds, or a duration such as 10m')
    .option('--until <time>', 'only lines before this time (same forms as --since)')
    .action(async (ref: string, f: { follow?: boolean; tail?: number; timestamps?: boolean; since?: string; until?: string }, c: Command) => {
      const abort = new AbortController();
      // Ctrl-C ends a follow quietly, as docker logs -f does.
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      try {
        await (await import('../ops/container-logs.js')).containerLogs(opsContext(c, io), {
          container: ref,
          follow: Boolean(f.follow),
          // 'all' parses to undefined, which commander stores as '': only a number limits.
          ...(typeof f.tail === 'number' ? { tail: f.tail } : {}),
          ...(f.since !== undefined ? { since: f.since } : {}),
          ...(f.until !== undefined ? { until: f.until } : {}),
          signal: abort.signal,
          onLine: (l) => {
            const text = f.timestamps ? `${l.timeText} ${l.text}` : l.text;
            (l.stream === 'stderr' ? io.stderr : io.stdout).write(text);
          },
        });
      } finally {
        process.off('SIGINT', stop);
      }
    });
}

export function registerLogs(program: Command, io: CliIO): void {
  addLogs(program.command('logs'), io);
}
