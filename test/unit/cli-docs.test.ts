// Every command the program defines has working --help and a man page that documents it;
// unknown commands and options fail with 125 and a message on stderr.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';

// dist/test/unit -> repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MAN = join(ROOT, 'man');

interface CommandInfo {
  path: string[];
  aliases: string[];
  longFlags: string[];
}

function walk(cmd: Command, prefix: string[] = []): CommandInfo[] {
  const out: CommandInfo[] = [];
  for (const c of cmd.commands) {
    // Hidden commands (conmon's exit command) are for skiff itself, not for people.
    if (c.name() === 'help' || (c as unknown as { _hidden?: boolean })._hidden) continue;
    const path = [...prefix, c.name()];
    const longFlags = c.options.map((o) => o.long).filter((l): l is string => l !== undefined && l !== '--help');
    out.push({ path, aliases: c.aliases(), longFlags });
    out.push(...walk(c, path));
  }
  return out;
}

function program(): Command {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
  return buildProgram(io, () => {});
}

const COMMANDS = walk(program());

/** Man source with the common escapes undone, so text can be searched for. */
function manText(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\\f[BIRP]/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\e/g, '\\')
    .replace(/\\&/g, '')
    .replace(/\\ /g, ' ');
}

/** Headings (.SH/.SS) and tag lines (the line after .TP, and .TQ tags) of a man page. */
function headingsAndTags(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\.S[HS]\b/.test(l)) out.push(l.replace(/^\.S[HS]\s*/, ''));
    if (/^\.T[PQ]\b/.test(l) && i + 1 < lines.length) out.push(lines[i + 1]!.replace(/^\.[A-Z]{1,2}\s+/, ''));
  }
  return out;
}

function mentionsWord(lines: string[], word: string): boolean {
  const re = new RegExp(`(^|[^\\w-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`);
  return lines.some((l) => re.test(l));
}

/** The page documenting a command: its own, or (for a subcommand) its group's page that lists it. */
function manPageFor(info: CommandInfo): { file: string; own: boolean } | undefined {
  const own = join(MAN, `skiff-${info.path.join('-')}.1`);
  if (existsSync(own)) return { file: own, own: true };
  if (info.path.length < 2) return undefined;
  const group = join(MAN, `skiff-${info.path.slice(0, -1).join('-')}.1`);
  if (!existsSync(group)) return undefined;
  const tags = headingsAndTags(manText(group));
  return mentionsWord(tags, info.path[info.path.length - 1]!) ? { file: group, own: false } : undefined;
}

describe('command inventory', () => {
  test('the program has the expected commands (sanity check of the walk)', () => {
    const paths = COMMANDS.map((c) => c.path.join(' '));
    for (const p of ['pull', 'images', 'rmi', 'tag', 'image', 'image inspect', 'image ls', 'image rm', 'image tag', 'image pull']) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }
    assert.ok(!paths.some((p) => p.split(' ').includes('help')));
  });
});

describe('--help', () => {
  test('skiff --help', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: skiff /m);
    assert.equal(r.stderr, '');
  });

  for (const info of COMMANDS) {
    const args = [...info.path, '--help'];
    test(`skiff ${args.join(' ')}`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes('Usage:'), r.stdout);
      assert.ok(r.stdout.includes(`Usage: skiff ${info.path.join(' ')}`), r.stdout);
      assert.equal(r.stderr, '');
    });
  }

  test('skiff -v and --version print the version', async () => {
    for (const flag of ['-v', '--version']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    }
  });
});

describe('man pages', () => {
  test('man/skiff.1 exists and lists every top-level command', () => {
    const file = join(MAN, 'skiff.1');
    assert.ok(existsSync(file), file);
    const tags = headingsAndTags(manText(file));
    for (const info of COMMANDS.filter((c) => c.path.length === 1)) {
      assert.ok(mentionsWord(tags, info.path[0]!), `skiff.1 lists ${info.path[0]}`);
    }
  });

  test('man/skiff.1 documents the global options and environment', () => {
    const text = manText(join(MAN, 'skiff.1'));
    for (const needle of ['--root', 'SKIFF_ROOT', '--debug', '--insecure-registry', '--version', '/var/lib/skiff', 'XDG_DATA_HOME', 'DOCKER_CONFIG', '125']) {
      assert.ok(text.includes(needle), `skiff.1 mentions ${needle}`);
    }
  });

  for (const info of COMMANDS) {
    const name = `skiff-${info.path.join('-')}`;
    test(`${info.path.join(' ')} has a man page (${name}.1 or its group's)`, () => {
      const page = manPageFor(info);
      assert.ok(page, `expected man/${name}.1, or man/skiff-${info.path.slice(0, -1).join('-')}.1 listing ${info.path.at(-1)} in a .SH or .TP`);
      const text = manText(page.file);
      if (!page.own) {
        for (const alias of info.aliases) assert.ok(mentionsWord(headingsAndTags(text), alias), `${page.file} lists the alias ${alias}`);
      }
      for (const flag of info.longFlags) assert.ok(text.includes(flag), `${page.file} documents ${flag}`);
    });
  }

  test('every man page starts with .TH and has NAME, SYNOPSIS and SEE ALSO', () => {
    const pages = readdirSync(MAN).filter((f) => /^skiff.*\.1$/.test(f));
    assert.ok(pages.length > 0);
    for (const f of pages) {
      const text = readFileSync(join(MAN, f), 'utf8');
      assert.match(text, /^\.TH /, f);
      for (const sh of ['NAME', 'SYNOPSIS', 'SEE ALSO']) assert.match(text, new RegExp(`^\\.SH ${sh}$`, 'm'), `${f}: .SH ${sh}`);
      const name = f.replace(/\.1$/, '');
      assert.match(text.split('.SH NAME')[1]!, new RegExp(`^\\s*${name.replace(/-/g, '\\\\-')} \\\\- `), `${f}: NAME line`);
    }
  });
});

describe('usage errors', () => {
  const rows: [string, string[], RegExp][] = [
    ['unknown command', ['no-such-command'], /unknown command 'no-such-command'/],
    ['unknown subcommand', ['image', 'no-such-command'], /unknown command 'no-such-command'/],
    ['unknown global flag', ['--no-such-flag'], /unknown option '--no-such-flag'/],
    ['unknown command flag', ['images', '--no-such-flag'], /unknown option '--no-such-flag'/],
    ['unknown subcommand flag', ['image', 'ls', '--no-such-flag'], /unknown option '--no-such-flag'/],
    ['missing argument', ['pull'], /missing required argument/],
  ];
  for (const [name, args, message] of rows) {
    test(`${name}: skiff ${args.join(' ')} exits 125`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 125);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }
});
