// Global flags -> the OpsContext every operation receives.
import type { Command } from 'commander';
import { defaultRoot } from '../store/paths.js';
import type { OpsContext } from '../ops/context.js';
import type { CliIO } from './io.js';

export interface GlobalOptions {
  root?: string;
  debug?: boolean;
  insecureRegistry?: string[];
}

export function opsContext(cmd: Command, io: CliIO): OpsContext {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  return {
    root: g.root ?? defaultRoot(io.env),
    env: io.env,
    insecureRegistries: g.insecureRegistry ?? [],
  };
}
