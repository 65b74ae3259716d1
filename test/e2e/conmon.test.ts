// Detached containers under conmon, with the real conmon and runc (root): the k8s-file log,
// the exit file (128+N for a signal), the exit command, -t, runtime errors as 127/126 with
// runc's own message and no state left behind, and a container outliving the process that
// started it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isSkiffError } from '../../src/errors.js';
import { conmonPaths, createWithConmon, type ConmonStart, type Started } from '../../src/runtime/conmon.js';
import { readExitFile } from '../../src/runtime/exit-file.js';
import { readLog, type LogLine } from '../../src/runtime/k8s-log.js';
import { makeBundle } from '../helpers/bundle.js';
import { until } from '../helpers/until.js';

const RUNC = '/usr/sbin/runc';

let tmp: string;
const created: { root: string; id: string; conmonPid?: number }[] = [];

function runc(root: string, ...args: string[]): string {
  return execFileSync(RUNC, ['--root', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function options(args: string[], extra: Partial<ConmonStart> & { configure?: (rootfs: string) => void } = {}): ConmonStart {
  const id = randomBytes(32).toString('hex');
  const short = id.slice(0, 12);
  const bundle = makeBundle(join(tmp, 'bundles', short), { args, terminal: extra.terminal ?? false });
  extra.configure?.(bundle.rootfs);
  const o: ConmonStart = {
    id,
    name: `t-${short}`,
    bundle: bundle.dir,
    runtime: RUNC,
    runtimeRoot: join(tmp, 'runc'),
    logPath: join(tmp, 'logs', `${short}.log`),
    exitDir: join(tmp, 'exits'),
    persistDir: join(tmp, 'persist', short),
    terminal: false,
    stdin: false,
    ...extra,
  };
  created.push({ root: o.runtimeRoot, id });
  return o;
}

async function run(o: ConmonStart): Promise<Started> {
  const started = await createWithConmon(o);
  created.find((c) => c.id === o.id)!.conmonPid = started.conmonPid;
  runc(o.runtimeRoot, 'start', o.id);
  return started;
}

/** until() with these tests' 10 s bound. */
const waitFor = <T>(what: string, probe: () => T | undefined | false): Promise<T> => until(what, probe, 10_000);

/** Gone or a zombie: conmon is reparented to pid 1 here, which reaps lazily. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function sessionOf(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'sid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

async function collect(o: ConmonStart): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const l of readLog(o.logPath, { follow: true, isDone: () => readExitFile(o.exitDir, o.id) !== undefined })) lines.push(l);
  return lines;
}

describe('conmon supervision', () => {
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'skiff-conmon-'));
  });

  after(() => {
    for (const c of created) {
      try {
        runc(c.root, 'delete', '--force', c.id);
      } catch {
        // never created, or already deleted
      }
      if (c.conmonPid && !gone(c.conmonPid)) {
        try {
          process.kill(c.conmonPid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('stdout and stderr go to the k8s-file log, the exit code to the exit dir, then conmon exits', async () => {
    const o = options(['sh', '-c', 'echo hello; echo err >&2; exit 3']);
    const { pid, conmonPid } = await run(o);
    assert.ok(pid > 0 && conmonPid > 0 && pid !== conmonPid);
    const code = await waitFor('exit file', () => readExitFile(o.exitDir, o.id));
    assert.equal(code, 3);
    assert.equal(readFileSync(conmonPaths(o.persistDir).exitFile, 'utf8'), '3');
    const records = readFileSync(o.logPath, 'utf8').split('\n').filter(Boolean);
    const ts = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d`;
    assert.ok(records.some((r) => new RegExp(`^${ts} stdout F hello$`).test(r)), records.join('\n'));
    assert.ok(records.some((r) => new RegExp(`^${ts} stderr F err$`).test(r)), records.join('\n'));
    const lines = await collect(o);
    assert.deepEqual(
      lines.map((l) => [l.stream, l.text]).sort(),
      [['stderr', 'err\n'], ['stdout', 'hello\n']],
    );
    await waitFor('conmon to exit', () => gone(conmonPid));
    assert.equal(JSON.parse(runc(o.runtimeRoot, 'state', o.id)).status, 'stopped');
  });

  test('a container killed by SIGKILL is recorded as 137', async () => {
    const o = options(['sleep', '100']);
    const { pid } = await run(o);
    assert.ok(!gone(pid));
    assert.equal(readExitFile(o.exitDir, o.id), undefined);
    runc(o.runtimeRoot, 'kill', o.id, 'KILL');
    assert.equal(await waitFor('exit file', () => readExitFile(o.exitDir, o.id)), 137);
  });

  test('the exit command runs after the container exits', async () => {
    const marker = join(tmp, 'exit-command-ran');
    const o = options(['true']);
    // It reads the exit file: the code is recorded before the command runs.
    o.exitCommand = ['/bin/sh', '-c', 'echo "$1 $(cat "$2")" > "$3"', 'sh', 'ran', join(o.exitDir, o.id), marker];
    await run(o);
    const text = await waitFor('exit command marker', () => (existsSync(marker) ? readFileSync(marker, 'utf8') : undefined));
    assert.equal(text, 'ran 0\n');
  });

  test('-t: conmon holds the terminal and logs what the container writes to it', async () => {
    const o = options(['sh', '-c', 'echo on-tty; tty'], { terminal: true });
    await run(o);
    assert.equal(await waitFor('exit file', () => readExitFile(o.exitDir, o.id)), 0);
    const lines = await collect(o);
    // A terminal turns "\n" into "\r\n".
    assert.deepEqual(lines.map((l) => l.text), ['on-tty\r\n', '/dev/pts/0\r\n']);
  });

  test('a command that does not exist fails with 127 and runc\'s message, leaving no state', async () => {
    const o = options(['no-such-command'], { runtimeRoot: join(tmp, 'runc-failing') });
    await assert.rejects(createWithConmon(o), (err) => {
      assert.ok(isSkiffError(err));
      assert.equal(err.exitCode, 127);
      assert.match(err.message, /^runc create failed: .*"no-such-command": executable file not found in \$PATH$/);
      return true;
    });
    assert.equal(runc(o.runtimeRoot, 'list', '-q').trim(), '');
    assert.equal(readExitFile(o.exitDir, o.id), undefined);
  });

  test('a file that cannot be executed fails with 126', async () => {
    const o = options(['/not-executable'], {
      runtimeRoot: join(tmp, 'runc-failing'),
      configure: (rootfs) => {
        writeFileSync(join(rootfs, 'not-executable'), '#!/bin/sh\necho hi\n');
        chmodSync(join(rootfs, 'not-executable'), 0o644);
      },
    });
    await assert.rejects(createWithConmon(o), (err) => {
      assert.ok(isSkiffError(err));
      assert.equal(err.exitCode, 126);
      assert.match(err.message, /permission denied/);
      return true;
    });
    assert.equal(runc(o.runtimeRoot, 'list', '-q').trim(), '');
  });

  test('the container outlives the Node process that started it; conmon leads its own session', async () => {
    const o = options(['sleep', '100']);
    const conmonModule = new URL('../../src/runtime/conmon.js', import.meta.url).href;
    const script = `
      import { createWithConmon } from ${JSON.stringify(conmonModule)};
      import { execFileSync } from 'node:child_process';
      const o = JSON.parse(process.argv[1]);
      const s = await createWithConmon(o);
      execFileSync(o.runtime, ['--root', o.runtimeRoot, 'start', o.id]);
      console.log(JSON.stringify({ ...s, sid: Number(execFileSync('ps', ['-o', 'sid=', '-p', String(process.pid)], { encoding: 'utf8' })) }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, 'the starting process exits on its own: conmon holds none of its event loop');
    const s = JSON.parse(out) as Started & { sid: number };
    created.find((c) => c.id === o.id)!.conmonPid = s.conmonPid;
    assert.ok(!gone(s.pid), 'the container still runs');
    assert.ok(!gone(s.conmonPid), 'conmon still runs');
    assert.equal(sessionOf(s.conmonPid), s.conmonPid);
    assert.notEqual(sessionOf(s.conmonPid), s.sid);
    runc(o.runtimeRoot, 'kill', o.id, 'KILL');
    assert.equal(await waitFor('exit file', () => readExitFile(o.exitDir, o.id)), 137);
    await waitFor('conmon to exit', () => gone(s.conmonPid));
  });

  test('timing: create through conmon, then runc start', async () => {
    const o = options(['true']);
    const t0 = performance.now();
    await createWithConmon(o);
    const t1 = performance.now();
    runc(o.runtimeRoot, 'start', o.id);
    const t2 = performance.now();
    await waitFor('exit file', () => readExitFile(o.exitDir, o.id));
    // Reported, not asserted: a loaded CI machine is slower.
    console.error(`createWithConmon ${(t1 - t0).toFixed(1)} ms, runc start ${(t2 - t1).toFixed(1)} ms`);
  });
});
