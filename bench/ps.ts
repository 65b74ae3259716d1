// bench/ps: `skiff ps -a` with 100 containers (40 running under conmon, 40 exited, 20 created)
// against `node -e 0`, measured in one run; and what stays resident per detached container
// (conmon is the only process left per container: its RSS and PSS, from /proc).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxLayer } from '../test/helpers/busybox.js';
import { pushImage } from '../test/helpers/push.js';
import { startRegistry } from '../test/helpers/registry.js';
import { SKIFF, interleave, interval, median, ms, ratioInterval, timeIt } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const quiet = { stdio: ['ignore', 'ignore', 'inherit'] as ('ignore' | 'inherit')[] };

function skiff(root: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SKIFF, '--root', root, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`skiff ${args.join(' ')} exited ${code}`))));
  });
}

/** Creates containers a few at a time (the machine has 2 cores). */
async function many(n: number, make: () => Promise<string>): Promise<void> {
  for (let i = 0; i < n; i += 4) await Promise.all(Array.from({ length: Math.min(4, n - i) }, make));
}

/** kB of a process's memory: resident, and proportional (shared pages divided among their users). */
function memoryOf(pid: number): { rss: number; pss: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss') };
}

function conmonPids(root: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return cmd[0]?.endsWith('conmon') && cmd.includes(`--root=${join(root, 'run', 'runc')}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function main(): Promise<void> {
  const root = mkdtempSync('/var/tmp/skiff-bench-ps-');
  const reg = await startRegistry();
  try {
    await pushImage(reg.url, 'bench/busybox', 'latest', { layers: [{ tar: busyboxLayer() }] });
    const image = `${reg.host}/bench/busybox:latest`;
    await skiff(root, 'pull', '-q', image);
    console.error('bench: creating 100 containers (40 running, 40 exited, 20 created)');
    await many(40, () => skiff(root, 'run', '-d', image, 'sleep', '3600'));
    await many(40, () => skiff(root, 'run', image, 'true'));
    await many(20, () => skiff(root, 'create', image, 'true'));
    const listed = execFileSync(process.execPath, [SKIFF, '--root', root, 'ps', '-a', '-q'], { encoding: 'utf8' }).trim().split('\n');
    if (listed.length !== 100) throw new Error(`expected 100 containers, ps -a lists ${listed.length}`);

    // Warm-up (skiff writes its code cache on the first run of a new build).
    execFileSync(process.execPath, [SKIFF, '--root', root, 'ps', '-a'], quiet);
    const node: number[] = [];
    const ps: number[] = [];
    await interleave(RUNS, [
      () => void node.push(timeIt(() => execFileSync(process.execPath, ['-e', '0'], quiet))),
      () => void ps.push(timeIt(() => execFileSync(process.execPath, [SKIFF, '--root', root, 'ps', '-a'], quiet))),
    ]);
    const n = median(node);
    const p = median(ps);
    const runs = (xs: number[]) => xs.map((x) => (x * 1000).toFixed(0)).join(' ');
    console.log(`${RUNS} rounds, interleaved; medians:`);
    console.log(`node -e 0:                          ${ms(n)}   runs: ${runs(node)}`);
    console.log(`skiff ps -a (100 containers):       ${ms(p)}   runs: ${runs(ps)}`);
    console.log(`ratio ps/node:  ${(p / n).toFixed(2)}x  (90% interval ${interval(ratioInterval(ps, node))}; target <= 1.5x)`);

    const pids = conmonPids(root);
    const mem = pids.map(memoryOf);
    const avg = (k: 'rss' | 'pss') => mem.reduce((s, m) => s + m[k], 0) / mem.length / 1024;
    console.log(`resident per detached container (${pids.length} conmon processes, no other process per container):`);
    console.log(`  RSS ${avg('rss').toFixed(2)} MB, PSS ${avg('pss').toFixed(2)} MB  (target <= 3 MB)`);
  } finally {
    await reg.stop();
    const ids = execFileSync(process.execPath, [SKIFF, '--root', root, 'ps', '-a', '-q', '--no-trunc'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 20) execFileSync(process.execPath, [SKIFF, '--root', root, 'rm', '-f', ...ids.slice(i, i + 20)], quiet);
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
