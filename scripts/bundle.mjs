// Bundles the compiled CLI into one CommonJS file (and the unpack worker into another):
// Node resolves and loads ~100 ES modules in about 60 ms, one bundle in a fraction of that,
// and `run` has ~40 ms of its own budget.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Packages only pulls and progress need (node-fetch with its web-streams polyfill, ora: half
// of the code) go to a second file, required on first use. Every other command would only
// read past them (~2 ms of each start). They cannot be import()ed from node_modules instead:
// the launcher compiles the bundle as a vm script, where import() needs Node's experimental
// loader hook, and both are ES-only packages.
const LATE = ['node-fetch', 'ora'];

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // Less source to read and hash on every start. Names stay here; the CLI's own bundle is
  // minified further below.
  minifyWhitespace: true,
  minifySyntax: true,
  // better-sqlite3's JavaScript is bundled and its addon named by path (src/store/db.ts).
  external: ['./late-deps.cjs'],
  // CommonJS has no import.meta; modules use it to find files next to themselves.
  define: { 'import.meta.url': '__skiff_module_url' },
  banner: { js: "var __skiff_module_url = require('node:url').pathToFileURL(__filename).href;" },
};

/** Resolves the late packages to the second file, so the bundle requires it only when they are first imported. */
const lateDeps = {
  name: 'late-deps',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${LATE.join('|')})$`) }, (a) => ({ path: a.path, namespace: 'late-deps' }));
    b.onLoad({ filter: /.*/, namespace: 'late-deps' }, (a) => ({
      // Node's rule for import() of CommonJS: the default export is module.exports. Only the
      // default exports of these packages are used (src/registry/client.ts, src/cli/pull-progress.ts).
      contents: `module.exports = require('./late-deps.cjs')[${JSON.stringify(a.path)}].default;`,
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process as it loads, for subcommands that are programs of
 * their own, which skiff has none of. Loading it (with node:net and node:stream under it) is
 * ~2.5 ms of each start, and `run` starts runc without it (src/sys/spawn.ts): the require is
 * made lazy. The build fails if commander stops requiring it that way.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (a) => {
      const text = readFileSync(a.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`${a.path} no longer requires node:child_process as scripts/bundle.mjs expects`);
      const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
  },
};

// The CLI that every command loads has its identifiers minified too: 333 kB of source became
// 247, and its V8 cache 341 kB 314: ~0.4 ms of a run (reading, hashing, deserialising).
// Stack traces would show the short names, so bin/skiff runs the unbundled modules under
// --debug. Nothing in it (or in commander and better-sqlite3) depends on a function's name;
// node-fetch does (its errors' names are their classes'), and stays in late-deps.cjs.
await build({
  ...common,
  entryPoints: { skiff: 'dist/src/cli/main.js' },
  minifyIdentifiers: true,
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
  plugins: [lateDeps, lazyChildProcess],
});

await build({
  ...common,
  entryPoints: { 'unpack-worker': 'dist/src/ops/unpack-worker.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
});

await build({
  ...common,
  stdin: {
    contents: LATE.map((p, i) => `import * as p${i} from ${JSON.stringify(p)};`).join('\n') + `\nexport default { ${LATE.map((p, i) => `${JSON.stringify(p)}: p${i}`).join(', ')} };\n`,
    resolveDir: '.',
    loader: 'js',
  },
  outfile: 'dist/bundle/late-deps.cjs',
  footer: { js: 'module.exports = module.exports.default;' },
});

// The launcher's V8 code caches (one per command) belong to the previous bundle.
for (const f of readdirSync('dist/bundle')) if (f.endsWith('.v8cache')) rmSync(`dist/bundle/${f}`, { force: true });
