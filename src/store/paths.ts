// Where skiff keeps its state. One root directory (mode 0700: image trees hold setuid files
// and device nodes) holds content, snapshots and the metadata database.
import { join } from 'node:path';
import { homedir } from 'node:os';
import { digestHex, type Digest } from '../oci/digest.js';
import { rootlessUid } from '../sys/rootless-identity.js';

export interface StorePaths {
  root: string;
  db: string;
  blobs: string;
  ingest: string;
  snapshots: string;
  tmp: string;
  /** One directory per container: its bundle (config.json), rootfs mount point, upper/work dirs, log. */
  containers: string;
  /** runc's state root. Under the data root rather than /run so that one --root is one world. */
  runc: string;
}

/** The data root: --root, else $SKIFF_ROOT, else /var/lib/skiff (root) or $XDG_DATA_HOME/skiff (a rootless user, in its user namespace too). */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.SKIFF_ROOT) return env.SKIFF_ROOT;
  if (rootlessUid(env, uid) === undefined) return '/var/lib/skiff';
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(data, 'skiff');
}

/**
 * Where skiff's configuration (its networks) lives: $SKIFF_CONFIG_DIR, else ROOT/config when
 * the data root was chosen (one root is one world, as tests and parallel setups want), else
 * /etc/skiff (root) or $XDG_CONFIG_HOME/skiff.
 */
export function defaultConfigDir(chosenRoot: string | undefined, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.SKIFF_CONFIG_DIR) return env.SKIFF_CONFIG_DIR;
  if (chosenRoot) return join(chosenRoot, 'config');
  if (rootlessUid(env, uid) === undefined) return '/etc/skiff';
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'skiff');
}

export function storePaths(root: string): StorePaths {
  return {
    root,
    db: join(root, 'metadata.db'),
    blobs: join(root, 'content', 'blobs', 'sha256'),
    ingest: join(root, 'content', 'ingest'),
    snapshots: join(root, 'snapshots'),
    tmp: join(root, 'tmp'),
    containers: join(root, 'containers'),
    runc: join(root, 'run', 'runc'),
  };
}

export function blobPath(p: StorePaths, d: Digest): string {
  return join(p.blobs, digestHex(d));
}

export function snapshotDir(p: StorePaths, id: number): string {
  return join(p.snapshots, String(id));
}

export function containerDir(p: StorePaths, id: string): string {
  return join(p.containers, id);
}
