// An image's User string resolved against the image's own /etc/passwd and /etc/group, by the
// rules of runc's user.GetExecUser that docker uses. The caller reads the two files out of
// the root filesystem; the host's NSS has no say in who a user of the image is.
import { SkiffError } from '../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Groups in /etc/group that list the user by name; the primary gid is not added here. */
  additionalGids: number[];
}

/** The kernel's id range: (uid_t)-1 means "no change" and cannot be an id. */
export const MAX_ID = 2 ** 32 - 2;

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const notFound = (message: string): SkiffError => new SkiffError('not-found', message, { exitCode: 125 });

function parseId(field: string | undefined): number | undefined {
  if (field === undefined || !/^\d+$/.test(field)) return undefined;
  const n = Number(field);
  return n <= MAX_ID ? n : undefined;
}

// Comments, NIS "+"/"-" lines and lines whose ids do not parse are skipped: runc would read
// them as id 0 and could pick them before root's own entry.
function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^[#+-]/.test(l))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const [name = '', , uidField, gidField] of lines(text)) {
    const uid = parseId(uidField);
    const gid = parseId(gidField);
    if (name !== '' && uid !== undefined && gid !== undefined) out.push({ name, uid, gid });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const [name = '', , gidField, list = ''] of lines(text)) {
    const gid = parseId(gidField);
    const members = list.split(',').map((m) => m.trim()).filter(Boolean);
    if (name !== '' && gid !== undefined) out.push({ name, gid, members });
  }
  return out;
}

/** A number if the part is written as one (a name never is), checked against the id range. */
function numeric(part: string, what: 'uid' | 'gid', user: string): number | undefined {
  if (!/^[+-]?\d+$/.test(part)) return undefined;
  const n = Number(part);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_ID) {
    throw new SkiffError('usage', `invalid user ${JSON.stringify(user)}: ${what} ${part} is out of range 0-${MAX_ID}`, { exitCode: 125 });
  }
  return n;
}

/**
 * Forms: '' (root), uid, uid:gid, name, name:group, uid:group, name:gid. A numeric uid need not
 * be in passwd (its gid is then 0); a name must be. An explicit group sets the gid and, as in
 * runc, leaves the supplementary groups empty.
 */
export function resolveUser(user: string, passwd: string | undefined, group: string | undefined): ResolvedUser {
  const parts = user.split(':');
  if (parts.length > 2) throw new SkiffError('usage', `invalid user ${JSON.stringify(user)}: expected user[:group]`, { exitCode: 125 });
  const [userPart = '', groupPart = ''] = parts;
  const uidArg = numeric(userPart, 'uid', user);
  const gidArg = numeric(groupPart, 'gid', user);

  const users = passwd === undefined ? [] : parsePasswd(passwd);
  // An empty user part means root, looked up so that root's groups apply as under docker.
  const wanted = userPart === '' ? 0 : uidArg;
  const entry = users.find((u) => (wanted !== undefined ? u.uid === wanted : u.name === userPart));

  let uid = 0;
  let gid = 0;
  if (entry) {
    uid = entry.uid;
    gid = entry.gid;
  } else if (uidArg !== undefined) {
    uid = uidArg;
  } else if (userPart !== '') {
    throw notFound(`unable to find user ${userPart}: no matching entries in passwd file`);
  }

  const groups = group === undefined ? [] : parseGroup(group);
  if (groupPart !== '') {
    const g = groups.find((x) => (gidArg !== undefined ? x.gid === gidArg : x.name === groupPart));
    if (g) gid = g.gid;
    else if (gidArg !== undefined) gid = gidArg;
    else throw notFound(`unable to find group ${groupPart}: no matching entries in group file`);
    return { uid, gid, additionalGids: [] };
  }
  const additionalGids = entry ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  return { uid, gid, additionalGids: [...new Set(additionalGids)] };
}
