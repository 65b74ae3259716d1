// ps -f filters, as docker defines them: the same key given twice is OR, different keys AND.
import { SkiffError } from '../errors.js';
import type { Container } from './container-options.js';

const KEYS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor']);
const STATUSES = new Set(['created', 'running', 'exited', 'paused', 'restarting', 'removing', 'dead']);

export type Filters = Map<string, string[]>;

export function parseFilters(flags: string[]): Filters {
  const out: Filters = new Map();
  for (const f of flags) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (eq < 0 || !KEYS.has(key)) throw new SkiffError('usage', `invalid filter ${JSON.stringify(f)}: expected one of ${[...KEYS].map((k) => `${k}=`).join(', ')}`);
    const value = f.slice(eq + 1);
    if (key === 'status' && !STATUSES.has(value)) throw new SkiffError('usage', `invalid filter ${JSON.stringify(f)}: status is one of ${[...STATUSES].join(', ')}`);
    if (key === 'exited' && !/^\d+$/.test(value)) throw new SkiffError('usage', `invalid filter ${JSON.stringify(f)}: exited takes an exit code`);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** Whether the container matches; `imageIdsOf` resolves an ancestor name to image IDs. */
export function matches(c: Container, filters: Filters, imageIdsOf: (ref: string) => Set<string>): boolean {
  for (const [key, values] of filters) {
    const ok = values.some((v) => {
      switch (key) {
        case 'id':
          return c.id.startsWith(v);
        case 'name':
          // docker matches names as a regular expression; a plain name is a substring match.
          return safeRegExp(v).test(c.name);
        case 'label': {
          const eq = v.indexOf('=');
          return eq < 0 ? v in c.labels : c.labels[v.slice(0, eq)] === v.slice(eq + 1);
        }
        case 'status':
          return c.state === v;
        case 'exited':
          return c.state === 'exited' && c.exitCode === Number(v);
        case 'ancestor':
          return c.image === v || imageIdsOf(v).has(c.imageId);
        default:
          return false;
      }
    });
    if (!ok) return false;
  }
  return true;
}

function safeRegExp(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
