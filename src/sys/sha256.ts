// SHA-256 with node:crypto loaded on first use: commands that hash nothing (run of a pulled
// image, ps) skip the ~2 ms that loading the module costs.
import type { Hash } from 'node:crypto';

export function sha256Hasher(): Hash {
  return process.getBuiltinModule('node:crypto').createHash('sha256');
}
