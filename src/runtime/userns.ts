// A rootless user's user namespace, kept by one holder process (`unshare … sleep infinity`, as
// podman keeps a pause process): it maps the user to root and the user's subordinate ids to
// 1…N, and owns the mount namespace where skiff's overlay mounts live, so that every command
// of the user sees the same ones. Commands join it with nsenter (enter-userns.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../errors.js';
import { withFileLock } from '../sys/libc.js';
import { processName, processStartMatches, processStat } from './runc-state.js';
import { subordinateIds } from './subids.js';

function readHolder(file: string): number | undefined {
  try {
    const [pid, start] = readFileSync(file, 'utf8').trim().split(' ').map(Number);
    return pid && processStartMatches(pid, start) && processName(pid) === 'sleep' ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function startHolder(uid: number): Promise<number> {
  const { uids, gids } = subordinateIds(uid);
  const child = process.getBuiltinModule('node:child_process').spawn(
    'unshare',
    ['--map-root-user', `--map-users=${uids.start},1,${uids.count}`, `--map-groups=${gids.start},1,${gids.count}`, '--mount', '--propagation', 'private', '--', 'sleep', 'infinity'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', () => {});
  // unshare writes the maps (through newuidmap and newgidmap) before it execs sleep.
  for (let i = 0; i < 200; i++) {
    const pid = child.pid;
    // Not there yet, or gone: the exit below tells.
    if (pid !== undefined && processName(pid) === 'sleep') {
      child.stderr!.destroy();
      child.unref();
      return pid;
    }
    const code = await Promise.race([exited, sleep(10).then(() => 'waiting' as const)]);
    if (code !== 'waiting') {
      throw new SkiffError('unsupported', `cannot create a user namespace: ${stderr.trim().split('\n').pop() || `unshare exited ${code}`}`);
    }
  }
  child.kill('SIGKILL');
  throw new SkiffError('internal', 'cannot create a user namespace: unshare did not finish in 2 s');
}

/** The holder's pid, started if none lives. `dir`: the user's runtime dir. */
export async function userNamespaceHolder(dir: string, uid: number): Promise<number> {
  const file = join(dir, 'userns.pid');
  const live = readHolder(file);
  if (live) return live;
  return withFileLock(join(dir, 'userns.lock'), async () => {
    const again = readHolder(file);
    if (again) return again;
    const pid = await startHolder(uid);
    writeFileSync(file, `${pid} ${processStat(pid)?.start ?? ''}\n`);
    return pid;
  });
}
