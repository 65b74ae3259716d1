// Column-aligned tables like nerdctl's (no borders, three spaces between columns).
import { createRequire } from 'node:module';

type Cli3 = new (opts: object) => { push(row: string[]): void; toString(): string };

// cli-table3 costs ~20 ms to load: only paths that draw a table pay for it.
const require = createRequire(import.meta.url);

export function renderTable(headers: string[], rows: string[][]): string {
  const Table = require('cli-table3') as Cli3;
  const none = '';
  const t = new Table({
    head: headers,
    chars: { top: none, 'top-mid': none, 'top-left': none, 'top-right': none, bottom: none, 'bottom-mid': none, 'bottom-left': none, 'bottom-right': none, left: none, 'left-mid': none, mid: none, 'mid-mid': none, right: none, 'right-mid': none, middle: '   ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const r of rows) t.push(r);
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
