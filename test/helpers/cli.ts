// Runs skiff in-process (fast, for most tests) or as a child process (for kill tests).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { MNT_DETACH, umount2 } from '../../src/sys/libc.js';
import { mountsUnder } from './container-check.js';

export const SKIFF_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'skiff');

export interface CliResult { code: number; stdout: string; stderr: string }

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c) => (o += c));
  stderr.on('data', (c) => (e += c));
  const code = await main(args, { stdout, stderr, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  return { code, stdout: o, stderr: e };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ReturnType<typeof spawn>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [SKIFF_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let o = '';
  let e = '';
  child.stdout!.on('data', (c) => (o += c));
  child.stderr!.on('data', (c) => (e += c));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout: o, stderr: e })));
  return { child, done };
}

/**
 * A fresh store root, removed by the returned cleanup. Containers a failed test left are
 * killed and their mounts detached first: a recursive delete must never walk into a mount.
 */
export function tempRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'skiff-test-'));
  return {
    root,
    cleanup: () => {
      const runcRoot = join(root, 'run', 'runc');
      if (existsSync(runcRoot)) {
        for (const id of readdirSync(runcRoot)) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' });
      }
      for (const m of mountsUnder(root).reverse()) umount2(m, MNT_DETACH);
      // A failed test's user networks would leave their bridges' routes, which later creates see as taken.
      const networks = join(root, 'config', 'networks');
      for (const f of existsSync(networks) ? readdirSync(networks).filter((n) => n.endsWith('.conflist') && n !== 'skiff.conflist') : []) {
        const bridge = (JSON.parse(readFileSync(join(networks, f), 'utf8')) as { plugins: { bridge?: string }[] }).plugins[0]?.bridge;
        if (bridge?.startsWith('sk-')) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** skiff against one store root: `sk` runs it, `ok` also asserts it succeeded. */
export function cliAt(root: string): { sk: (...args: string[]) => Promise<CliResult>; ok: (...args: string[]) => Promise<CliResult> } {
  const sk = (...args: string[]): Promise<CliResult> => runCli(['--root', root, ...args]);
  const ok = async (...args: string[]): Promise<CliResult> => {
    const res = await sk(...args);
    if (res.code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res;
  };
  return { sk, ok };
}

/** Every container of the store, gone. */
export async function removeAllContainers(sk: (...args: string[]) => Promise<{ stdout: string }>): Promise<void> {
  const ids = (await sk('ps', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await sk('rm', '-f', ...ids);
}
