import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { removeTree } from '../../src/sys/remove-tree.js';

describe('removeTree', () => {
  const base = mkdtempSync(join(tmpdir(), 'skiff-remove-tree-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  test('removes a container-like tree, mode-000 work dir included, without following symlinks', () => {
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'keep');
    const dir = join(base, 'ctr');
    for (const d of ['upper/etc', 'work/work', 'rootfs']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'upper/etc/hosts'), 'x');
    symlinkSync(outside, join(dir, 'upper/link-to-outside'));
    symlinkSync('/nonexistent', join(dir, 'dangling'));
    chmodSync(join(dir, 'work/work'), 0o000);
    removeTree(dir);
    assert.equal(existsSync(dir), false);
    assert.deepEqual(readdirSync(outside), ['keep']);
  });

  test('a missing path or a plain file is fine', () => {
    removeTree(join(base, 'missing'));
    const f = join(base, 'file');
    writeFileSync(f, 'x');
    removeTree(f);
    assert.equal(existsSync(f), false);
  });
});
