// Runs this skiff again inside the user's user namespace (userns.ts) and waits for it: stdio
// is shared, signals are passed on, and its exit status becomes ours.
import { SkiffError } from '../errors.js';
import { FORWARDED_SIGNALS } from '../sys/forwarded-signals.js';
import { ROOTLESS_UID_ENV } from '../sys/rootless-identity.js';
import { exitStatus } from './runc.js';
import { runtimeDir } from './runtime-dir.js';
import { userNamespaceHolder } from './userns.js';

/** `self`: the argv that runs skiff (node and its launcher); `warn`: where the fallback warning goes. */
export async function runInUserNamespace(self: string[], args: string[], env: NodeJS.ProcessEnv, uid: number, warn: (line: string) => void): Promise<number> {
  const rt = runtimeDir(env, uid);
  if (rt.warning) warn(rt.warning);
  const holder = await userNamespaceHolder(rt.dir, uid);
  const child = process.getBuiltinModule('node:child_process').spawn('nsenter', ['--target', String(holder), '--user', '--mount', '--', ...self, ...args], {
    stdio: 'inherit',
    env: { ...env, [ROOTLESS_UID_ENV]: String(uid) },
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new SkiffError('internal', `cannot enter the user namespace: ${err.message}`)));
      child.once('exit', (code, signal) => resolve(exitStatus(code, signal)));
    });
  } finally {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
  }
}
