// Asserts that no container left anything behind under a store root: no record, no directory,
// no mount, no runc state, no conmon files, no live conmon or runc process for the root.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder } from '../../src/runtime/overlay.js';
import { openStore } from '../../src/store/store.js';

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

// Mount points under a root: the same mountinfo reading skiff does.
export { mountsUnder };

/** Processes whose command line mentions root (conmon and runc name it in their arguments). */
export function processesMentioning(root: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && cmd.includes(root) && !cmd.includes('--test')) out.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return out;
}

export function assertNoContainers(root: string): void {
  const store = openStore(root);
  try {
    assert.deepEqual(store.containers.list().map((c) => c.name), [], 'container records left');
  } finally {
    store.close();
  }
  assert.deepEqual(list(join(root, 'containers')), [], 'container directories left');
  assert.deepEqual(list(join(root, 'run', 'runc')), [], 'runc state left');
  assert.deepEqual(list(join(root, 'run', 'c')), [], 'conmon directories left');
  assert.deepEqual(list(join(root, 'run', 'netns')), [], 'network namespaces left');
  assert.deepEqual(mountsUnder(root), [], 'mounts left');
}
