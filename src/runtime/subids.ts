// The user's subordinate ids (/etc/subuid, /etc/subgid, as shadow's useradd and usermod write
// them): the ranges a rootless user namespace maps besides the user's own id.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { SkiffError } from '../errors.js';

export interface IdRange {
  start: number;
  count: number;
}

/** The first range of `user` (by name or uid) in a subuid/subgid file. */
export function parseSubIds(text: string, name: string, uid: number): IdRange | undefined {
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) continue;
    if (owner === name || owner === String(uid)) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

function fix(name: string): string {
  return `as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${name}`;
}

export function subordinateIds(uid: number, files = { uid: '/etc/subuid', gid: '/etc/subgid' }): { uids: IdRange; gids: IdRange } {
  let name = String(uid);
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry: the uid is all there is to look up
  }
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const uids = parseSubIds(read(files.uid), name, uid);
  const gids = parseSubIds(read(files.gid), name, uid);
  if (!uids || !gids) {
    const missing = !uids ? files.uid : files.gid;
    throw new SkiffError('unsupported', `user ${name} has no subordinate ids in ${missing}, which rootless containers need for the ids of their files; ${fix(name)}`);
  }
  if (uids.count < 1024 || gids.count < 1024) {
    throw new SkiffError('unsupported', `user ${name} has only ${Math.min(uids.count, gids.count)} subordinate ids; images need more (65536 is usual): ${fix(name)}`);
  }
  return { uids, gids };
}
