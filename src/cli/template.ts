// A subset of Go's text/template, enough for --format as docker users write it:
// {{.Field}}, {{.A.B}}, {{json .}}, {{json .Field}}, {{upper .X}}, {{lower .X}}, \t and \n escapes,
// and a leading "table " for a header row.
import { SkiffError } from '../errors.js';

type Row = Record<string, unknown>;

function lookup(obj: unknown, path: string): unknown {
  if (path === '.') return obj;
  let v: unknown = obj;
  for (const k of path.replace(/^\./, '').split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Row)[k];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const ACTION_RE = /\{\{-?\s*(.*?)\s*-?\}\}/g;

export function compileTemplate(format: string): { table: boolean; header: (fields: Row) => string; render: (row: Row) => string } {
  let src = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const table = /^table\s/.test(src);
  if (table) src = src.replace(/^table\s+/, '');
  const parts: (string | ((row: Row) => string))[] = [];
  const heads: (string | ((names: Row) => string))[] = [];
  let last = 0;
  for (const m of src.matchAll(ACTION_RE)) {
    const lit = src.slice(last, m.index);
    parts.push(lit);
    heads.push(lit);
    last = m.index! + m[0].length;
    const expr = m[1]!;
    const fm = /^(json|upper|lower|title)\s+(\.[\w.]*)$/.exec(expr);
    if (fm) {
      const [, fn, path] = fm as unknown as [string, string, string];
      parts.push((row) => {
        const v = lookup(row, path);
        if (fn === 'json') return JSON.stringify(v ?? null);
        const s = show(v);
        return fn === 'upper' ? s.toUpperCase() : fn === 'lower' ? s.toLowerCase() : s.charAt(0).toUpperCase() + s.slice(1);
      });
      heads.push((names) => String(names[path.slice(1)] ?? path.replace(/^\./, '').toUpperCase()));
    } else if (/^\.[\w.]*$/.test(expr)) {
      parts.push((row) => show(lookup(row, expr)));
      heads.push((names) => String(names[expr.slice(1)] ?? expr.replace(/^\./, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()));
    } else {
      throw new SkiffError('usage', `unsupported template action {{${expr}}} in --format`);
    }
  }
  parts.push(src.slice(last));
  heads.push(src.slice(last));
  return {
    table,
    header: (names) => heads.map((p) => (typeof p === 'string' ? p : p(names))).join(''),
    render: (row) => parts.map((p) => (typeof p === 'string' ? p : p(row))).join(''),
  };
}
