// A layer applied speculatively (before its parents are unpacked) and then completed gives the
// same snapshot as one applied with its parents present, or reports that it must be applied
// again. Pull relies on this to unpack layers in parallel.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LayerApplier } from '../../src/oci/layer/applier.js';
import { NeedLowersError, OVERLAY_TRUSTED } from '../../src/oci/layer/merged-view.js';
import { TarParser } from '../../src/oci/tar/reader.js';
import { makeTar, type TarSpec } from '../helpers/tar-writer.js';
import { asObject, readTree } from '../helpers/tree.js';

const base = mkdtempSync(join(tmpdir(), 'skiff-spec-'));
let n = 0;
function dir(): string {
  const d = join(base, String(n++));
  mkdirSync(d);
  return d;
}

function apply(upper: string, lowers: string[] | null, entries: TarSpec[]): LayerApplier {
  const a = new LayerApplier(upper, lowers, { format: OVERLAY_TRUSTED, privileged: true });
  const p = new TarParser(a);
  p.write(makeTar(entries));
  p.end();
  a.finish();
  return a;
}

/** Directories made while applying carry the time they were made: not comparable between two runs. */
function tree(dirPath: string): ReturnType<typeof asObject> {
  const t = asObject(readTree(dirPath, { xattrs: true, mtimes: true }));
  const recent = Date.now() / 1000 - 3600;
  for (const n of Object.values(t)) if (n.mtime !== undefined && n.mtime > recent) delete n.mtime;
  return t;
}

/** Applies `layers` in order, the last one both ways; returns the two trees and how the speculative one ended. */
function both(layers: TarSpec[][]): { normal: ReturnType<typeof asObject>; spec: ReturnType<typeof asObject> | undefined; outcome: string } {
  const lowers: string[] = [];
  for (const l of layers.slice(0, -1)) {
    const d = dir();
    apply(d, [...lowers], l);
    lowers.unshift(d);
  }
  const last = layers[layers.length - 1]!;
  const normalDir = dir();
  apply(normalDir, [...lowers], last);
  const normal = tree(normalDir);
  const specDir = dir();
  let outcome: string;
  try {
    const a = apply(specDir, null, last);
    outcome = a.completeSpeculation([...lowers]) ? 'valid' : 'invalid';
  } catch (err) {
    if (!(err instanceof NeedLowersError)) throw err;
    outcome = 'need-lowers';
  }
  const spec = outcome === 'valid' ? tree(specDir) : undefined;
  return { normal, spec, outcome };
}

const lower: TarSpec[] = [
  { path: 'usr/', type: 'dir', mode: 0o755, mtime: 1600000000 },
  { path: 'usr/local/', type: 'dir', mode: 0o775, uid: 5, gid: 6, mtime: 1600000001 },
  { path: 'usr/local/old', content: 'old' },
  { path: 'bin', type: 'symlink', linkpath: 'usr/bin' },
  { path: 'usr/bin/', type: 'dir' },
  { path: 'etc/', type: 'dir', mode: 0o750, mtime: 1600000002 },
  { path: 'etc/conf', content: 'c' },
  { path: 'data', content: 'a file' },
];

describe('speculative layer application', () => {
  after(() => rmSync(base, { recursive: true, force: true }));

  test('implied parents get the metadata of the directories below', () => {
    const r = both([lower, [{ path: 'usr/local/bin/tool', content: 'tool', mode: 0o755 }, { path: 'new/deep/file', content: 'x' }]]);
    assert.equal(r.outcome, 'valid');
    assert.deepEqual(r.spec, r.normal);
    assert.equal(r.normal['usr/local']!.mode, 0o775);
    assert.equal(r.normal['usr/local']!.uid, 5);
  });

  test('an explicit directory entry keeps its own metadata', () => {
    const r = both([lower, [{ path: 'usr/local/x', content: 'x' }, { path: 'usr/local/', type: 'dir', mode: 0o700, mtime: 1700000000 }]]);
    assert.equal(r.outcome, 'valid');
    assert.deepEqual(r.spec, r.normal);
    assert.equal(r.normal['usr/local']!.mode, 0o700);
  });

  test('whiteouts and opaque directories under implied parents', () => {
    const r = both([lower, [{ path: 'usr/local/.wh.old', content: '' }, { path: 'etc/.wh..wh..opq', content: '' }, { path: 'etc/new', content: 'n' }]]);
    assert.equal(r.outcome, 'valid');
    assert.deepEqual(r.spec, r.normal);
  });

  test('a path through a lower symlink (usrmerge) is detected and applied again', () => {
    const r = both([lower, [{ path: 'bin/tool', content: 'tool' }]]);
    assert.equal(r.outcome, 'invalid');
    assert.equal(r.normal['usr/bin/tool']?.content, 'tool');
  });

  test('a path through a lower file is detected', () => {
    const d = dir();
    apply(d, [], lower);
    assert.throws(() => apply(dir(), [d], [{ path: 'data/inside', content: 'x' }]), /is not a directory/);
    const a = apply(dir(), null, [{ path: 'data/inside', content: 'x' }]);
    assert.equal(a.completeSpeculation([d]), false);
  });

  test('a whiteout whose parent does not exist below is detected', () => {
    const r = both([lower, [{ path: 'nowhere/.wh.x', content: '' }]]);
    assert.equal(r.outcome, 'invalid');
  });

  test('a hardlink to a lower file needs the lowers', () => {
    const r = both([lower, [{ path: 'copy', type: 'hardlink', linkpath: 'etc/conf' }]]);
    assert.equal(r.outcome, 'need-lowers');
    assert.equal(r.normal.copy?.content, 'c');
  });

  test('a same-layer hardlink does not', () => {
    const r = both([lower, [{ path: 'usr/local/a', content: 'a' }, { path: 'usr/local/b', type: 'hardlink', linkpath: 'usr/local/a' }]]);
    assert.equal(r.outcome, 'valid');
    assert.deepEqual(r.spec, r.normal);
  });

  test('an opaque root needs the lowers', () => {
    const r = both([lower, [{ path: '.wh..wh..opq', content: '' }]]);
    assert.equal(r.outcome, 'need-lowers');
  });

  test('a same-layer symlink followed by a path through it stays inside the layer', () => {
    const r = both([lower, [{ path: 'lnk', type: 'symlink', linkpath: '/usr/local' }, { path: 'lnk/through', content: 't' }]]);
    assert.equal(r.outcome, 'valid');
    assert.deepEqual(r.spec, r.normal);
    assert.equal(r.normal['usr/local/through']?.content, 't');
  });
});
