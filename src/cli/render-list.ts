// The output forms every listing shares: -q (IDs), json (one object per line), a Go template,
// or the table.
import { type CliIO, out } from './io.js';
import { renderTable } from './table.js';
import { compileTemplate } from './template.js';

export interface ListFormat {
  quiet?: boolean;
  format?: string;
}

/** Column titles for `--format 'table {{.Field}}'`, as the default table names them. */
export type HeaderNames = Record<string, string>;

export function renderList<R extends object>(
  io: CliIO,
  rows: R[],
  opts: ListFormat,
  id: (r: R) => string,
  table: (rows: R[]) => { headers: string[]; body: string[][] },
  headerNames: HeaderNames = {},
): void {
  if (opts.quiet) {
    for (const r of rows) out(io, id(r));
    return;
  }
  const format = opts.format ?? 'table';
  if (format === 'json' || format === '{{json .}}') {
    for (const r of rows) out(io, JSON.stringify(r));
    return;
  }
  if (format !== 'table') {
    const t = compileTemplate(format);
    if (t.table) out(io, t.header(headerNames));
    for (const r of rows) out(io, t.render(r as unknown as Record<string, unknown>));
    return;
  }
  const { headers, body } = table(rows);
  out(io, renderTable(headers, body));
}
