// What the benchmarks share: timing, medians, interleaved rounds and podman's configuration.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SKIFF = join(REPO_ROOT, 'bin', 'skiff');

export function sh(cmd: string, opts: { cwd?: string } = {}): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
}

export function ensureTools(tools: string[]): void {
  const need = tools.filter((t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0);
  if (need.length > 0) {
    console.error(`bench: installing ${need.join(' ')}`);
    sh(`apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${need.join(' ')} >/dev/null`);
  }
}

export function timeIt(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs each contestant once per round, rotating who goes first, so drift in the machine's
 * load and any "first after a quiet spell" advantage fall on all alike.
 */
export async function interleave(rounds: number, contestants: (() => void | Promise<void>)[], between?: () => void): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < contestants.length; k++) {
      between?.();
      await contestants[(i + k) % contestants.length]!();
    }
  }
}

/**
 * podman as a peer: runc (this host's crun refuses hybrid cgroups) and ulimits within the
 * caller's hard limits (podman's defaults for nofile and nproc exceed them here, and runc fails).
 */
export function podmanConf(): string {
  const conf = join(mkdtempSync(join(tmpdir(), 'skiff-bench-conf-')), 'containers.conf');
  writeFileSync(conf, '[engine]\nruntime = "runc"\n[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n');
  return conf;
}

export function ms(s: number): string {
  return `${(s * 1000).toFixed(0)} ms`;
}

/**
 * A 90% interval for median(a) / median(b), by resampling the rounds (a bootstrap: rounds are
 * drawn with replacement, a[i] with b[i], as they ran side by side). With ~15 rounds on a shared
 * machine a ratio moves by a few percent from run to run: the interval says how far. Seeded, so
 * the same times give the same interval.
 */
export function ratioInterval(a: number[], b: number[], resamples = 2000): [number, number] {
  let seed = 0x2545f491;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const ia: number[] = [];
    const ib: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = Math.floor(next() * n);
      ia.push(a[k]!);
      ib.push(b[k]!);
    }
    ratios.push(median(ia) / median(ib));
  }
  ratios.sort((x, y) => x - y);
  return [ratios[Math.floor(resamples * 0.05)]!, ratios[Math.floor(resamples * 0.95)]!];
}

/** "1.27-1.35", for a ratio's interval. */
export function interval([lo, hi]: [number, number]): string {
  return `${lo.toFixed(2)}-${hi.toFixed(2)}`;
}
