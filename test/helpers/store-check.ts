// Asserts a store is clean: no ingest leftovers, no half snapshots, every blob named by its
// hash, every snapshot row backed by a directory and every directory by a row, every image's
// blobs and snapshots present.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.js';

export function assertStoreClean(root: string): void {
  const ingest = readdirSync(join(root, 'content', 'ingest'));
  assert.deepEqual(ingest, [], 'ingest directory holds leftovers');
  const snapDirs = readdirSync(join(root, 'snapshots'));
  assert.deepEqual(snapDirs.filter((n) => !/^\d+$/.test(n)), [], 'snapshots directory holds tmp or trash dirs');
  const blobDir = join(root, 'content', 'blobs', 'sha256');
  for (const name of readdirSync(blobDir)) {
    const hex = createHash('sha256').update(readFileSync(join(blobDir, name))).digest('hex');
    assert.equal(hex, name, `blob ${name} does not hash to its name`);
  }
  const store = openStore(root);
  try {
    const rows = store.snapshots.all();
    const rowIds = new Set(rows.map((r) => String(r.id)));
    assert.deepEqual(snapDirs.filter((n) => !rowIds.has(n)), [], 'snapshot dirs without a record');
    for (const r of rows) assert.ok(existsSync(r.dir), `snapshot record ${r.id} without a directory`);
    for (const img of store.images.list()) {
      for (const d of [img.digest, img.manifestDigest, img.configDigest, ...img.layers.map((l) => l.digest)]) {
        assert.ok(store.content.has(d), `${img.name}: blob ${d} missing`);
      }
      for (const l of img.layers) assert.ok(store.snapshots.get(l.chainId), `${img.name}: snapshot ${l.chainId} missing`);
    }
  } finally {
    store.close();
  }
}
