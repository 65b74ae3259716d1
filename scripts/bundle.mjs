// Bundles the compiled CLI into one CommonJS file (and the unpack worker into another):
// Node resolves and loads ~100 ES modules in about 60 ms, one bundle in a fraction of that,
// and `run` has ~40 ms of its own budget. Native packages stay external.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // Only koffi's loader stays outside (src/sys/libc.ts loads its native module directly, and
  // koffi's index.js is the fallback); better-sqlite3's JavaScript is bundled, its addon
  // named by path (src/store/db.ts). ES-only packages (node-fetch, ora) are bundled too: the
  // launcher compiles the bundle as a vm script, where import() of a package would need
  // Node's experimental loader hook. Their code runs only when first used.
  external: ['koffi'],
  // CommonJS has no import.meta; modules use it to find files next to themselves.
  define: { 'import.meta.url': '__skiff_module_url' },
  banner: { js: "var __skiff_module_url = require('node:url').pathToFileURL(__filename).href;" },
};

await build({ ...common, entryPoints: { skiff: 'dist/src/cli/main.js', 'unpack-worker': 'dist/src/ops/unpack-worker.js' }, outdir: 'dist/bundle', outExtension: { '.js': '.cjs' } });

// The launcher's V8 code cache belongs to the previous bundle.
rmSync('dist/bundle/skiff.cjs.v8cache', { force: true });
