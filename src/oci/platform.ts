import { SkiffError } from '../errors.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

const NODE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'plan9', 'wasip1', 'js']);

export function hostPlatform(): Platform {
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  const p: Platform = { architecture, os: 'linux' };
  if (architecture === 'arm64') p.variant = 'v8';
  return p;
}

/** Parses `os/arch[/variant]` (or `arch` alone, os defaulting to linux). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new SkiffError('usage', `invalid platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  }
  const [a, b, c] = parts as [string, string?, string?];
  // A lone word is an OS when it names one (the host's architecture then), else an architecture.
  const p: Platform = b !== undefined ? { os: a, architecture: b } : KNOWN_OS.has(a) ? { ...hostPlatform(), os: a } : { os: 'linux', architecture: a };
  if (c !== undefined) p.variant = c;
  return normalizePlatform(p);
}

export function normalizePlatform(p: Platform): Platform {
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'armhf') { architecture = 'arm'; variant = 'v7'; }
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  const out: Platform = { os: p.os.toLowerCase(), architecture };
  if (variant !== undefined) out.variant = variant;
  return out;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Does an index entry's platform satisfy the wanted one? A missing variant on the entry matches any. */
export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  return h.variant === undefined || w.variant === undefined || h.variant === w.variant;
}
