// What a container's state really is: the record says what the last writer saw; runc's state
// file, the monitor process and conmon's exit file say what happened since. Read without
// spawning anything, so `ps` stays one process however many containers there are.
import { statSync } from 'node:fs';
import { containerLayout } from '../runtime/container-layout.js';
import { readExitFile } from '../runtime/exit-file.js';
import { liveState, processStartMatches, processStat } from '../runtime/runc-state.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';

/** The record brought up to date (and written back when it changed). */
export function refresh(store: Store, c: Container): Container {
  if (c.state !== 'running') return c;
  // A known pid and start time answer with one /proc read; runc's state.json is the fallback
  // (a foreground run learns its container's pid only from runc).
  if (c.pid !== null && c.pidStart !== null && processStartMatches(c.pid, c.pidStart)) return c;
  const live = c.pidStart === null ? liveState(store.paths.runc, c.id) : undefined;
  if (live) {
    const pidStart = processStat(live.pid)?.start ?? null;
    store.containers.update(c.id, { pid: live.pid, pidStart });
    // Updated in place: the record is this caller's own copy, and copying would parse its spec.
    c.pid = live.pid;
    c.pidStart = pidStart;
    return c;
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
  const fields = { state: 'exited' as const, exitCode: code ?? null, pid: null, pidStart: null, monitorPid: null, monitorStart: null, finishedAt: Math.round(finishedAt) };
  store.containers.update(c.id, fields, { state: ['running'] });
  return Object.assign(c, fields);
}
