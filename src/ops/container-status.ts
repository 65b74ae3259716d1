// What a container's state really is: the record says what the last writer saw; runc's state
// file, the monitor process and conmon's exit file say what happened since. Read without
// spawning anything, so `ps` stays one process however many containers there are.
import { statSync } from 'node:fs';
import { containerLayout } from '../runtime/container-layout.js';
import { readExitFile } from '../runtime/exit-file.js';
import { liveState, processStartMatches } from '../runtime/runc-state.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';

export function isRunning(store: Store, c: Container): boolean {
  return c.state === 'running' && liveState(store.paths.runc, c.id) !== undefined;
}

/** The record brought up to date (and written back when it changed). */
export function refresh(store: Store, c: Container): Container {
  if (c.state !== 'running') return c;
  const live = liveState(store.paths.runc, c.id);
  if (live) {
    if (live.pid !== c.pid) store.containers.update(c.id, { pid: live.pid });
    return { ...c, pid: live.pid };
  }
  const l = containerLayout(store.paths, c.id);
  const code = readExitFile(l.exitDir, c.id);
  // Between "running" being written and runc's state appearing, only the monitor knows: while
  // it lives and has recorded no exit, the container is starting, not gone.
  if (code === undefined && c.monitorPid !== null && processStartMatches(c.monitorPid, c.monitorStart)) return c;
  let finishedAt = Date.now();
  if (code !== undefined) {
    try {
      finishedAt = statSync(`${l.exitDir}/${c.id}`).mtimeMs;
    } catch {
      // keep now
    }
  }
  const fields = { state: 'exited' as const, exitCode: code ?? null, pid: null, monitorPid: null, monitorStart: null, finishedAt: Math.round(finishedAt) };
  store.containers.update(c.id, fields, { state: ['running'] });
  return { ...c, ...fields };
}
