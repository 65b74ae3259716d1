// Global flags -> the OpsContext every operation receives.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { defaultConfigDir, defaultRoot } from '../store/paths.js';
import type { OpsContext } from '../ops/context.js';
import type { CliIO } from './io.js';

// dist/src/cli/context.js -> bin/skiff
const SKIFF_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'skiff');

export interface GlobalOptions {
  root?: string;
  debug?: boolean;
  insecureRegistry?: string[];
}

export function opsContext(cmd: Command, io: CliIO): OpsContext {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  return {
    root: g.root ?? defaultRoot(io.env),
    configDir: defaultConfigDir(g.root, io.env),
    env: io.env,
    insecureRegistries: g.insecureRegistry ?? [],
    // As a process, skiff is whatever was run (bin/skiff, bundled or not); in-process (tests), the repository's launcher.
    selfCommand: [process.execPath, io.isProcess && process.argv[1] ? process.argv[1] : SKIFF_BIN],
  };
}
