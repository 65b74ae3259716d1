// The program: global flags, subcommands, and the one place errors become output and exit codes.
import { Command, CommanderError, Option } from 'commander';
import { EXIT_SKIFF_FAILURE, SkiffError, messageOf } from '../errors.js';
import { registerContainerCommands, registerInspect } from '../commands/container.js';
import { registerCreate } from '../commands/create.js';
import { registerExec } from '../commands/exec.js';
import { registerLifecycle } from '../commands/lifecycle.js';
import { registerLogs } from '../commands/logs.js';
import { registerStart } from '../commands/start.js';
import { registerImageCommands } from '../commands/image.js';
import { registerImages } from '../commands/images.js';
import { registerPull } from '../commands/pull.js';
import { registerPs } from '../commands/ps.js';
import { registerRm } from '../commands/rm.js';
import { registerRmi } from '../commands/rmi.js';
import { registerRun } from '../commands/run.js';
import { registerTag } from '../commands/tag.js';
import { type CliIO, err } from './io.js';

export const VERSION = '0.1.0';

export interface Registrar {
  (program: Command, io: CliIO, setExit: (code: number) => void): void;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('skiff')
    .description('A daemonless container CLI: pull OCI images and run them with runc.')
    .version(VERSION, '-v, --version')
    .addOption(new Option('--root <dir>', 'data root (default /var/lib/skiff as root, $XDG_DATA_HOME/skiff otherwise)').env('SKIFF_ROOT'))
    .option('--debug', 'print stack traces with errors')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP (and unverified TLS) to this registry (repeatable)', collect)
    // Options after a command's positional arguments belong to the container's command (run IMAGE sh -c …).
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(outputTo(io));
  for (const register of [registerRun, registerCreate, registerStart, registerPs, registerExec, registerLogs, registerLifecycle, registerRm, registerInspect, registerContainerCommands, registerPull, registerImages, registerRmi, registerTag, registerImageCommands] as Registrar[]) {
    register(program, io, setExit);
  }
  for (const c of program.commands) inheritExitOverride(c, io);
  return program;
}

function inheritExitOverride(cmd: Command, io: CliIO): void {
  cmd.exitOverride().configureOutput(outputTo(io));
  for (const c of cmd.commands) inheritExitOverride(c, io);
}

function outputTo(io: CliIO) {
  return {
    writeOut: (s: string) => io.stdout.write(s),
    writeErr: (s: string) => io.stderr.write(s),
    // Usage errors look like every other error: "skiff: …".
    outputError: (s: string, write: (s: string) => void) => write(s.replace(/^error: /, 'skiff: ')),
  };
}

export function processIO(): CliIO {
  return { isProcess: true, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_SKIFF_FAILURE;
    }
    const debug = argv.includes('--debug');
    if (!(e instanceof SkiffError && e.reported) || debug) reportError(io, e, debug);
    return e instanceof SkiffError ? e.exitCode : EXIT_SKIFF_FAILURE;
  }
}

export function reportError(io: CliIO, e: unknown, debug: boolean): void {
  const msg = messageOf(e).split('\n')[0]!;
  err(io, `skiff: ${msg}`);
  if (debug && e instanceof Error && e.stack) err(io, e.stack);
}
