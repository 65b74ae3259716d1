// Files found above this module: native addons inside installed packages, without
// require.resolve (its first call reads package.json files and readies the resolver, ~0.5-1 ms
// of every start), and skiff's own addon in dist/native.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The first <dir>/<path> in this module's directory or one above it (the bundle and the plain build alike). */
export function fileAbove(path: string): string | undefined {
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, path);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The first node_modules/<path> above this module, as Node finds a package that has no
 * "exports" map; else require.resolve's answer, or undefined.
 */
export function packageFile(path: string): string | undefined {
  const found = fileAbove(join('node_modules', path));
  if (found) return found;
  try {
    return process.getBuiltinModule('node:module').createRequire(import.meta.url).resolve(path);
  } catch {
    return undefined;
  }
}
