// The program: global flags, subcommands, and the one place errors become output and exit codes.
import { Command, CommanderError, Option } from 'commander';
import { EXIT_SKIFF_FAILURE, SkiffError, messageOf } from '../errors.js';
import { registerContainerCommands, registerInspect } from '../commands/container.js';
import { registerCreate } from '../commands/create.js';
import { registerExec } from '../commands/exec.js';
import { registerLifecycle } from '../commands/lifecycle.js';
import { registerLogs } from '../commands/logs.js';
import { registerStart } from '../commands/start.js';
import { registerNetworkCommands } from '../commands/network.js';
import { registerSystemCommands } from '../commands/system.js';
import { registerImageCommands } from '../commands/image.js';
import { registerImages } from '../commands/images.js';
import { registerPull } from '../commands/pull.js';
import { registerPort } from '../commands/port.js';
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

// Which registrar defines each top-level command: a command line that names one builds only
// that part of the program (building all ~45 commands and their options is ~2 ms of every start).
const REGISTRARS: Record<string, Registrar> = {
  run: registerRun,
  create: registerCreate,
  start: registerStart,
  ps: registerPs,
  exec: registerExec,
  logs: registerLogs,
  port: registerPort,
  stop: registerLifecycle,
  kill: registerLifecycle,
  restart: registerLifecycle,
  wait: registerLifecycle,
  rm: registerRm,
  inspect: registerInspect,
  container: registerContainerCommands,
  pull: registerPull,
  images: registerImages,
  rmi: registerRmi,
  tag: registerTag,
  image: registerImageCommands,
  network: registerNetworkCommands,
  system: registerSystemCommands,
};

// bin/skiff names its code cache by the same rule, before the bundle is loaded: it keeps a copy
// of this set (test/e2e/launcher-cache.test.ts holds the two equal).
export const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--root', '--insecure-registry']);

/** Whether a word names a top-level command (bin/skiff keeps a code cache only for those). */
export function isCommand(word: string): boolean {
  return Object.hasOwn(REGISTRARS, word);
}

/** The top-level command an argument list names, skipping global options (and their values). */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The whole program, or with `argv` only the command it names (all of it for help or unknown names). */
export function buildProgram(io: CliIO, setExit: (code: number) => void, argv?: readonly string[]): Command {
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
  const named = argv ? commandNamed(argv) : undefined;
  const only = named !== undefined ? REGISTRARS[named] : undefined;
  for (const register of only ? [only] : new Set(Object.values(REGISTRARS))) register(program, io, setExit);
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
  // Getters: Node makes process.stdout on first use (1-3 ms for a pipe or terminal), and a
  // command that prints nothing (`run --rm IMAGE true`) need not pay for it.
  return {
    isProcess: true,
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    env: process.env,
  };
}

/** An ordinary user's skiff runs inside its user namespace; help and version need none. */
function needsUserNamespace(argv: string[], io: CliIO): boolean {
  if (!io.isProcess || (process.getuid?.() ?? 0) === 0) return false;
  const command = commandNamed(argv);
  if (command === undefined || command === 'help' || argv.includes('--help')) return false;
  // Before the command, -v and -h are skiff's own --version and --help; after it, -v is run's --volume.
  const globals = argv.slice(0, argv.indexOf(command));
  return !globals.some((a) => a === '-h' || a === '-v' || a === '--version');
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  if (needsUserNamespace(argv, io)) {
    try {
      const { runInUserNamespace } = await import('../runtime/enter-userns.js');
      return await runInUserNamespace([process.execPath, process.argv[1]!], argv, io.env, process.getuid!(), (line) => err(io, `skiff: warning: ${line}`));
    } catch (e) {
      reportError(io, e, argv.includes('--debug'));
      return e instanceof SkiffError ? e.exitCode : EXIT_SKIFF_FAILURE;
    }
  }
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    argv,
  );
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
