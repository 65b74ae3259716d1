// inspect output: a JSON array (docker's form), or one template line per object.
import type { SkiffError } from '../errors.js';
import { type CliIO, err, out } from './io.js';
import { compileTemplate } from './template.js';

export function renderInspect(io: CliIO, setExit: (code: number) => void, objects: object[], errors: SkiffError[], format?: string): void {
  if (format && format !== 'json') {
    const t = compileTemplate(format);
    for (const o of objects) out(io, t.render(o as Record<string, unknown>));
  } else {
    out(io, JSON.stringify(objects, null, 2));
  }
  for (const e of errors) err(io, `skiff: ${e.message}`);
  if (errors.length > 0) setExit(errors[0]!.exitCode);
}
