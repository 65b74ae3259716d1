// Files inside installed packages (native addons), found without require.resolve: its first
// call reads package.json files and readies the resolver, ~0.5-1 ms of every start.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The first node_modules/<path> above this module (in the bundle or the plain build), as
 * Node finds a package that has no "exports" map; else require.resolve's answer, or undefined.
 */
export function packageFile(path: string): string | undefined {
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', path);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  try {
    return process.getBuiltinModule('node:module').createRequire(import.meta.url).resolve(path);
  } catch {
    return undefined;
  }
}
