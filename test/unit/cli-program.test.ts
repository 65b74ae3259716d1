// The program is built only as far as a command line needs: the command it names, or all of
// it for help and unknown names (so commander can list and suggest commands).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { buildProgram, commandNamed } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';

const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: {} });

test('commandNamed skips global options and their values', () => {
  assert.equal(commandNamed(['run', 'img']), 'run');
  assert.equal(commandNamed(['--root', '/x', '--debug', 'ps', '-a']), 'ps');
  assert.equal(commandNamed(['--insecure-registry', 'h:5000', 'pull', 'h:5000/a']), 'pull');
  assert.equal(commandNamed(['--root=/x', 'images']), 'images');
  assert.equal(commandNamed(['--version']), undefined);
  assert.equal(commandNamed([]), undefined);
});

test('a named command builds only its registrar; help and unknown names build everything', () => {
  const names = (argv?: string[]) => buildProgram(io(), () => {}, argv).commands.map((c) => c.name()).sort();
  assert.deepEqual(names(['ps', '-a']), ['ps']);
  assert.deepEqual(names(['stop', 'x']), ['kill', 'restart', 'stop', 'wait']);
  const all = names();
  assert.ok(all.length >= 18, `all commands: ${all.join(' ')}`);
  assert.deepEqual(names(['help']), all);
  assert.deepEqual(names(['nosuch']), all);
});

test('an unknown command still gets commander suggestions, and help lists every command', async () => {
  const res = await runCli(['imagez']);
  assert.equal(res.code, 125);
  assert.match(res.stderr, /unknown command 'imagez'/);
  assert.match(res.stderr, /images/);
  const help = await runCli(['--help']);
  for (const c of ['run', 'ps', 'exec', 'logs', 'container', 'pull', 'images']) assert.match(help.stdout, new RegExp(`\\n  ${c}\\b`));
});
