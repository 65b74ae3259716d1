// ps -f filters (and the parsing network ls shares), as docker defines them: the same key given twice is OR, different keys AND.
import { SkiffError } from '../errors.js';
import type { Container } from './container-options.js';

const KEYS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor']);
const STATUSES = new Set(['created', 'running', 'exited', 'paused', 'restarting', 'removing', 'dead']);

export type Filters = Map<string, string[]>;

/** key=value filters, each key one of `keys`. */
export function parseKeyFilters(flags: string[], keys: Set<string>, check: (key: string, value: string, flag: string) => void = () => {}): Filters {
  const out: Filters = new Map();
  for (const f of flags) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (eq < 0 || !keys.has(key)) throw new SkiffError('usage', `invalid filter ${JSON.stringify(f)}: expected one of ${[...keys].map((k) => `${k}=`).join(', ')}`);
    const value = f.slice(eq + 1);
    check(key, value, f);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

export function parseFilters(flags: string[]): Filters {
  return parseKeyFilters(flags, KEYS, (key, value, f) => {
    if (key === 'status' && !STATUSES.has(value)) throw new SkiffError('usage', `invalid filter ${JSON.stringify(f)}: status is one of ${[...STATUSES].join(', ')}`);
    if (key === 'exited' && !/^\d+$/.test(value)) throw new SkiffError('usage', `invalid filter ${JSON.stringify(f)}: exited takes an exit code`);
  });
}

/** label=KEY or label=KEY=VALUE. */
export function labelMatches(labels: Record<string, string>, v: string): boolean {
  const eq = v.indexOf('=');
  return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
}

/** docker matches names as a regular expression; a plain name is a substring match. */
export function nameMatches(name: string, v: string): boolean {
  return safeRegExp(v).test(name);
}

/** Whether the container matches; `imageIdsOf` resolves an ancestor name to image IDs. */
export function matches(c: Container, filters: Filters, imageIdsOf: (ref: string) => Set<string>): boolean {
  for (const [key, values] of filters) {
    const ok = values.some((v) => {
      switch (key) {
        case 'id':
          return c.id.startsWith(v);
        case 'name':
          return nameMatches(c.name, v);
        case 'label':
          return labelMatches(c.labels, v);
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
