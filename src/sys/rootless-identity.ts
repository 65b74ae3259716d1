// Who skiff runs for. As an ordinary user, skiff re-runs itself inside a user namespace where
// it is root (enter.ts); SKIFF_ROOTLESS_UID carries the real user's uid in, so that paths and
// modes are still the user's.
export const ROOTLESS_UID_ENV = 'SKIFF_ROOTLESS_UID';

/** The real uid of a rootless skiff (inside its user namespace or not yet), else undefined (real root). */
export function rootlessUid(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): number | undefined {
  if (uid !== 0) return uid;
  const carried = env[ROOTLESS_UID_ENV];
  return carried !== undefined && /^\d+$/.test(carried) && carried !== '0' ? Number(carried) : undefined;
}

/** Inside skiff's user namespace: root there, an ordinary user outside. */
export function inUserNamespace(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): boolean {
  return uid === 0 && rootlessUid(env, uid) !== undefined;
}
