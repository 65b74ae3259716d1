// Test-only: an ordinary user with subordinate ids, made by the harness (which runs as root),
// and skiff run as that user, from a copy of the built launcher at a path every user can
// reach: a CI checkout may sit in a directory only root can enter.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSubIds } from '../../src/runtime/subids.js';
import type { CliResult } from './cli.js';
import { expectedTree } from './tree-image.js';
import type { Node } from './tree.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ROOTLESS_USER = 'skiff-rootless';

export interface RootlessUser {
  name: string;
  uid: number;
  gid: number;
  /** The first host id the user's namespace maps ids 1… to. */
  subuid: number;
  subgid: number;
  /** XDG dirs and HOME, all in one temp dir owned by the user. */
  env: NodeJS.ProcessEnv;
  dataDir: string;
  /** skiff as the user. */
  sk: (...args: string[]) => Promise<CliResult>;
  /** skiff as the user, with changes to its environment (undefined removes a variable). */
  skWith: (env: NodeJS.ProcessEnv, ...args: string[]) => Promise<CliResult>;
  /** The command line and options that run skiff as the user (for synchronous callers: benchmarks). */
  command: (...args: string[]) => { file: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string };
  cleanup: () => void;
}

/** A user without subordinate ids, for the error a user gets before an admin gives it some. */
export const NO_SUBIDS_USER = 'skiff-nosubids';

function readIds(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function ensureUser(name: string, withSubids: boolean): void {
  if (spawnSync('id', ['-u', name], { stdio: 'ignore' }).status !== 0) {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  }
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const has = (file: string) => parseSubIds(readIds(file), name, uid) !== undefined;
  if (!withSubids) {
    // useradd may have given it a range (SUB_UID_COUNT in login.defs): take it back.
    if (has('/etc/subuid')) execFileSync('usermod', ['--del-subuids', '1-4294967294', name]);
    if (has('/etc/subgid')) execFileSync('usermod', ['--del-subgids', '1-4294967294', name]);
    return;
  }
  // A range of its own, well away from the usual 100000 one.
  if (!has('/etc/subuid')) execFileSync('usermod', ['--add-subuids', '300000-365535', name]);
  if (!has('/etc/subgid')) execFileSync('usermod', ['--add-subgids', '300000-365535', name]);
}

export function rootlessUser(name = ROOTLESS_USER, withSubids = true): RootlessUser {
  ensureUser(name, withSubids);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  const subuid = parseSubIds(readIds('/etc/subuid'), name, uid)?.start ?? 0;
  const subgid = parseSubIds(readIds('/etc/subgid'), name, uid)?.start ?? 0;
  const base = mkdtempSync(join(tmpdir(), 'skiff-rootless-'));
  chmodSync(base, 0o755);
  const repo = join(base, 'skiff');
  // What the launcher needs: itself, the bundle, and the two native modules it loads.
  for (const part of ['bin', 'dist/bundle', 'dist/native', 'node_modules/better-sqlite3']) {
    cpSync(join(REPO, part), join(repo, part), { recursive: true });
  }
  const home = join(base, 'home');
  const runtime = join(base, 'run');
  for (const d of [home, runtime]) {
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, uid, gid);
  }
  const dataDir = join(home, '.local', 'share', 'skiff');
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, XDG_RUNTIME_DIR: runtime, USER: name, LOGNAME: name };
  const command = (...args: string[]) => ({
    file: 'setpriv',
    args: ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', process.execPath, join(repo, 'bin', 'skiff'), ...args],
    env,
    cwd: home,
  });
  const skWith = (extra: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      const merged: NodeJS.ProcessEnv = { ...env };
      for (const [k, v] of Object.entries(extra)) {
        if (v === undefined) delete merged[k];
        else merged[k] = v;
      }
      const c = command(...args);
      const child = spawn(c.file, c.args, { env: merged, cwd: c.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      child.stdout.on('data', (c: Buffer) => (o += c.toString()));
      child.stderr.on('data', (c: Buffer) => (e += c.toString()));
      child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout: o, stderr: e }));
    });
  const sk = (...args: string[]): Promise<CliResult> => skWith({}, ...args);
  return {
    name,
    uid,
    gid,
    subuid,
    subgid,
    env,
    dataDir,
    sk,
    skWith,
    command,
    cleanup: () => {
      // The user's namespace holder, and whatever else runs as the user.
      spawnSync('pkill', ['-KILL', '-u', String(uid)], { stdio: 'ignore' });
      rmSync(base, { recursive: true, force: true });
      rmSync(`/tmp/skiff-run-${uid}`, { recursive: true, force: true });
    },
  };
}

/**
 * A tree read on the host, with the user's ids mapped back to the image's (the user is root in
 * its namespace; its subordinate ids are 1…), beside what the tree image should unpack to
 * rootless: no device nodes, and xattrs not compared.
 */
export function asImageSees(user: RootlessUser, tree: Record<string, Node>): { seen: Record<string, Node>; expected: Record<string, Node> } {
  for (const n of Object.values(tree)) {
    n.uid = n.uid === user.uid ? 0 : n.uid - user.subuid + 1;
    n.gid = n.gid === user.gid ? 0 : n.gid - user.subgid + 1;
  }
  const expected = expectedTree();
  delete expected['dev/null'];
  for (const n of Object.values(expected)) delete n.xattrs;
  return { seen: tree, expected };
}
