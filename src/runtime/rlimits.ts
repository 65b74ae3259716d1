// The caller's hard rlimits: a container may not ask runc for more (runc fails if it does).
import { readFileSync } from 'node:fs';

export interface HardLimits { nofile: number; nproc?: number }

export function hardLimits(): HardLimits {
  const out: HardLimits = { nofile: 1024 };
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^Max (open files|processes)\s+\S+\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = m[2] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
    if (m[1] === 'open files') out.nofile = v;
    else out.nproc = v;
  }
  return out;
}
