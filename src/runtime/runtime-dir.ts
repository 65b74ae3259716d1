// A rootless user's runtime dir: $XDG_RUNTIME_DIR/skiff. A variable that names another user's
// dir (left by su or sudo) is an error; none at all falls back to /tmp/skiff-run-UID, as
// podman does, with a warning.
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';

export interface RuntimeDir {
  dir: string;
  /** Set when the fallback was taken: worth a line on stderr. */
  warning?: string;
}

function checkOwned(dir: string, uid: number, what: string): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) throw new SkiffError('usage', `${what} ${dir} is not a directory`);
  if (st.uid !== uid) {
    throw new SkiffError(
      'usage',
      `${what} ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): a leftover of su or sudo? Log in as this user, or unset XDG_RUNTIME_DIR`,
    );
  }
}

export function runtimeDir(env: NodeJS.ProcessEnv, uid: number): RuntimeDir {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg) {
    if (!lstatSync(xdg, { throwIfNoEntry: false })) throw new SkiffError('usage', `XDG_RUNTIME_DIR ${xdg} does not exist; unset it to use /tmp/skiff-run-${uid}`);
    checkOwned(xdg, uid, 'XDG_RUNTIME_DIR');
    const dir = join(xdg, 'skiff');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    checkOwned(dir, uid, 'runtime dir');
    return { dir };
  }
  const dir = `/tmp/skiff-run-${uid}`;
  // Made 0700 by us, or refused: /tmp is shared, and someone else could have made it first.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkOwned(dir, uid, 'runtime dir');
  if ((lstatSync(dir).mode & 0o077) !== 0) throw new SkiffError('usage', `runtime dir ${dir} is open to other users; remove it`);
  return { dir, warning: `XDG_RUNTIME_DIR is not set; keeping runtime state in ${dir}` };
}
