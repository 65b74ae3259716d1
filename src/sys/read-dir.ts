// A directory's names, or none when it does not exist (or cannot be read): for sweeps and
// checks that treat a missing directory as an empty one.
import { readdirSync } from 'node:fs';

export function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
