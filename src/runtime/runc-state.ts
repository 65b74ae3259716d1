// State questions (is it running? which pid?) answered from runc's own state.json and /proc,
// never by spawning runc: `ps` must not cost a process per container (nor load child_process).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LiveState {
  pid: number;
}

/** The container's init process if runc has state for it and that very process still runs. */
export function liveState(runcRoot: string, id: string): LiveState | undefined {
  let st: { init_process_pid?: number; init_process_start?: number };
  try {
    st = JSON.parse(readFileSync(join(runcRoot, id, 'state.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const pid = st.init_process_pid;
  if (!pid || !processStartMatches(pid, st.init_process_start)) return undefined;
  return { pid };
}

/** Whether runc holds any state for the container (running or stopped but not deleted). */
export function hasState(runcRoot: string, id: string): boolean {
  return existsSync(join(runcRoot, id));
}

/** True when pid runs and (if known) started at the given clock tick: pids get reused. */
export function processStartMatches(pid: number, start: number | undefined | null): boolean {
  const st = processStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return start == null || st.start === start;
}

/** A process's command name (/proc/PID/comm), or undefined when it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A process's state letter and start time (clock ticks after boot), from /proc. */
export function processStat(pid: number | 'self'): { state: string; start: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, start: Number(fields[19]) };
}

