// The layering rules of docs/architecture.md, checked on the source: the library below
// src/commands never prints, exits or loads UI packages, and dependencies point down only.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
const ORDER = ['cli', 'commands', 'ops', 'runtime', 'network', 'store', 'registry', 'oci', 'sys'];
const LIBRARY = ['ops', 'runtime', 'network', 'store', 'registry', 'oci', 'sys'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  return relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');
}

const IMPORT_RE = /^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

for (const file of files(SRC)) {
  const layer = layerOf(file);
  if (!LIBRARY.includes(layer)) continue;
  const rel = relative(SRC, file);
  const text = readFileSync(file, 'utf8');
  test(`${rel}: no UI packages, printing or exiting`, () => {
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2]!;
      assert.ok(!/^(commander|ora|chalk|cli-table3)$/.test(spec), `imports ${spec}`);
    }
    assert.ok(!/\bconsole\.\w+\(/.test(text), 'uses console');
    assert.ok(!/process\.(exit|stdout|stderr)\b/.test(text), 'exits or writes to the terminal');
  });
  test(`${rel}: imports only its own layer or lower ones`, () => {
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = layerOf(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      if (!ORDER.includes(target)) continue; // src/errors.ts and other shared roots
      assert.ok(ORDER.indexOf(target) >= ORDER.indexOf(layer), `${layer} imports ${target} (${spec})`);
    }
  });
}
