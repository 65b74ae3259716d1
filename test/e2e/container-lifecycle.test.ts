// A container's life as docker users drive it, with the real runc and conmon (root): create,
// start (detached and -a), stop with its grace period and custom signals, kill, wait, restart,
// logs (streams, -n, -t, --since/--until, -f), exec, rm, inspect, container prune and the
// `container` aliases, --rm under conmon, and rmi of an image a container uses.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliAt, runCli, tempRoot } from '../helpers/cli.js';
import { busyboxLayer } from '../helpers/busybox.js';
import { assertNoContainers, mountsUnder, processesMentioning } from '../helpers/container-check.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar } from '../helpers/tar-writer.js';
import { until } from '../helpers/until.js';

const HEX64 = /^[a-f0-9]{64}$/;
/** A shell that exits 0 on SIGTERM (the loop lets the trap run within 0.1 s). */
const TRAPS_TERM = 'echo started; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done';
/** A shell that ignores SIGTERM: only SIGKILL ends it. */
const IGNORES_TERM = 'trap "" TERM; echo ready; while :; do sleep 0.1; done';

describe('container lifecycle', () => {
  let reg: RunningRegistry;
  let img: string;
  let other: string;
  const { root, cleanup } = tempRoot();
  const { sk, ok } = cliAt(root);
  /** run -d [flags] --name NAME IMAGE CMD…; returns the full ID. */
  async function runD(name: string, ...cmd: string[]): Promise<string> {
    return runWith([], name, ...cmd);
  }
  async function runWith(flags: string[], name: string, ...cmd: string[]): Promise<string> {
    const res = await ok('run', '-d', ...flags, '--name', name, img, ...cmd);
    const id = res.stdout.trim();
    assert.match(id, HEX64);
    return id;
  }
  const field = async (name: string, tmpl: string): Promise<string> => (await ok('inspect', '-f', tmpl, name)).stdout.trim();
  const state = (name: string) => field(name, '{{.State.Status}}');
  const exitCode = async (name: string) => Number(await field(name, '{{.State.ExitCode}}'));
  const psStatus = async (name: string, ...flags: string[]) =>
    (await ok('ps', ...flags, '--filter', `name=^${name}$`, '--format', '{{.Status}}')).stdout.trim();
  const logsOf = async (name: string) => (await ok('logs', name)).stdout;
  const count = (text: string, word: string) => text.split('\n').filter((l) => l === word).length;

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'life/busybox', 'latest', {
      layers: [{ tar: busyboxLayer() }],
      config: { config: { Cmd: ['sh'], Env: ['PATH=/bin', 'FOO=bar'] } },
    });
    // A second image with a layer of its own, for rmi of an image a container uses.
    await pushImage(reg.url, 'life/other', 'v1', {
      layers: [{ tar: busyboxLayer() }, { tar: makeTar([{ path: 'other.txt', content: 'from the other layer\n' }]) }],
      config: { config: { Cmd: ['sh'], Env: ['PATH=/bin'] } },
    });
    img = `${reg.host}/life/busybox:latest`;
    other = `${reg.host}/life/other:v1`;
    await ok('pull', '-q', img);
    await ok('pull', '-q', other);
  });

  after(async () => {
    const left = await sk('ps', '-a', '-q', '--no-trunc');
    const ids = left.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await sk('rm', '-f', ...ids);
    await reg?.stop();
    cleanup();
  });

  test('create prints a 64-hex ID; ps -a shows it Created, plain ps does not', async () => {
    const res = await ok('create', '--name', 'made', img, 'true');
    assert.match(res.stdout, /^[a-f0-9]{64}\n$/);
    assert.equal(res.stderr, '');
    assert.equal(await psStatus('made', '-a'), 'Created');
    assert.equal(await psStatus('made'), '', 'not running, so not in plain ps');
    assert.equal(await state('made'), 'created');
    await ok('rm', 'made');
  });

  test('start runs a created container in the background; ps shows it Up', async () => {
    await ok('create', '--name', 'bg', img, 'sh', '-c', TRAPS_TERM);
    const res = await ok('start', 'bg');
    assert.equal(res.stdout, 'bg\n');
    assert.match(await psStatus('bg'), /^Up /);
    assert.equal(await state('bg'), 'running');
    assert.match(await until('first output', async () => (/started/.test(await logsOf('bg')) ? 'yes' : undefined)), /yes/);
    await ok('rm', '-f', 'bg');
  });

  test('start -a prints the output of a created container and returns its exit code', async () => {
    await ok('create', '--name', 'att', img, 'sh', '-c', 'echo hello; echo oops >&2; exit 3');
    const res = await sk('start', '-a', 'att');
    assert.equal(res.code, 3);
    assert.equal(res.stdout, 'hello\n');
    assert.equal(res.stderr, 'oops\n');
    assert.match(await psStatus('att', '-a'), /^Exited \(3\) .* ago$/);
    // Started again, it runs again.
    assert.equal((await sk('start', '-a', 'att')).code, 3);
    await ok('rm', 'att');
  });

  test('stop: SIGTERM to a container that handles it ends it at once, with its own exit code', async () => {
    await runD('term', 'sh', '-c', TRAPS_TERM);
    await until('the trap to be set', async () => /started/.test(await logsOf('term')));
    const t0 = Date.now();
    const res = await ok('stop', 'term');
    assert.equal(res.stdout, 'term\n');
    assert.ok(Date.now() - t0 < 5000, `the default 10 s grace is not waited out (${Date.now() - t0} ms)`);
    assert.equal(await state('term'), 'exited');
    assert.equal(await exitCode('term'), 0);
    assert.match(await logsOf('term'), /got-term/);
    assert.equal((await sk('stop', 'term')).code, 0, 'stopping a stopped container succeeds, as in docker');
    await ok('rm', 'term');
  });

  test('stop -t 1: a container that ignores SIGTERM is killed after the grace period (137)', async () => {
    await runD('stubborn', 'sh', '-c', IGNORES_TERM);
    await runD('polite', 'sh', '-c', TRAPS_TERM);
    await until('both ready', async () => /ready/.test(await logsOf('stubborn')) && /started/.test(await logsOf('polite')));
    let t0 = Date.now();
    await ok('stop', '-t', '1', 'polite');
    assert.ok(Date.now() - t0 < 900, `polite stops before the grace ends (${Date.now() - t0} ms)`);
    assert.equal(await exitCode('polite'), 0);
    t0 = Date.now();
    const res = await ok('stop', '-t', '1', 'stubborn');
    const took = Date.now() - t0;
    assert.equal(res.stdout, 'stubborn\n');
    assert.ok(took >= 900 && took < 5000, `killed after about 1 s, took ${took} ms`);
    assert.equal(await state('stubborn'), 'exited');
    assert.equal(await exitCode('stubborn'), 137);
    assert.match(await psStatus('stubborn', '-a'), /^Exited \(137\) /);
    await ok('rm', 'stubborn', 'polite');
  });

  test('stop -s sends another signal first', async () => {
    await runD('usr1', 'sh', '-c', 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done');
    await until('ready', async () => /ready/.test(await logsOf('usr1')));
    const bad = await sk('stop', '-s', 'NOPE', 'usr1');
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid signal: NOPE/);
    assert.equal(await state('usr1'), 'running', 'an invalid signal stops nothing');
    const t0 = Date.now();
    await ok('stop', '-s', 'SIGUSR1', 'usr1');
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(await exitCode('usr1'), 7, 'ended by its USR1 trap, not by SIGKILL');
    assert.match(await logsOf('usr1'), /got-usr1/);
    await ok('rm', 'usr1');
  });

  test('kill: SIGKILL by default (137), -s TERM and -s 15, and a stopped container fails with 125', async () => {
    await runD('k9', 'sleep', '100');
    await runD('kterm', 'sh', '-c', 'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done');
    await runD('k15', 'sh', '-c', 'trap "exit 6" TERM; echo ready; while :; do sleep 0.1; done');
    await until('ready', async () => /ready/.test(await logsOf('kterm')) && /ready/.test(await logsOf('k15')));
    let res = await ok('kill', 'k9');
    assert.equal(res.stdout, 'k9\n');
    assert.equal((await ok('wait', 'k9')).stdout, '137\n');
    await ok('kill', '-s', 'TERM', 'kterm');
    assert.equal((await ok('wait', 'kterm')).stdout, '5\n');
    await ok('kill', '-s', '15', 'k15');
    assert.equal((await ok('wait', 'k15')).stdout, '6\n');
    res = await sk('kill', 'k9');
    assert.equal(res.code, 125);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^skiff: container k9 is not running\n$/);
    res = await sk('kill', 'no-such-ctr');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /no such container: no-such-ctr/);
    await ok('rm', 'k9', 'kterm', 'k15');
  });

  test('wait prints the exit code once the container exits', async () => {
    await runD('w3', 'sh', '-c', 'sleep 0.3; exit 3');
    assert.equal(await state('w3'), 'running');
    const res = await ok('wait', 'w3');
    assert.equal(res.stdout, '3\n');
    assert.equal(await state('w3'), 'exited');
    // Waiting on an exited container answers at once.
    assert.equal((await ok('wait', 'w3')).stdout, '3\n');
    const missing = await sk('wait', 'no-such-ctr');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /no such container/);
    await ok('rm', 'w3');
  });

  test('restart of a running and of an exited container: Up again, a new process, logs of every run', async () => {
    await runD('rs', 'sh', '-c', TRAPS_TERM);
    await until('first run', async () => count(await logsOf('rs'), 'started') === 1);
    const pid1 = Number(await field('rs', '{{.State.Pid}}'));
    assert.ok(pid1 > 0);
    const res = await ok('restart', '-t', '1', 'rs');
    assert.equal(res.stdout, 'rs\n');
    assert.match(await psStatus('rs'), /^Up /);
    const pid2 = Number(await field('rs', '{{.State.Pid}}'));
    assert.ok(pid2 > 0 && pid2 !== pid1, `a new process (${pid1} -> ${pid2})`);
    await until('second run', async () => count(await logsOf('rs'), 'started') === 2);
    assert.match(await logsOf('rs'), /got-term/, 'the first run was stopped with its signal');

    await ok('stop', 'rs');
    assert.equal(await state('rs'), 'exited');
    await ok('restart', 'rs');
    assert.match(await psStatus('rs'), /^Up /);
    await until('third run', async () => count(await logsOf('rs'), 'started') === 3);
    await ok('rm', '-f', 'rs');
  });

  test('logs: stdout and stderr apart, -n, -t', async () => {
    // conmon reads the two pipes separately: the pause keeps the order across streams certain.
    await runD('lg', 'sh', '-c', 'echo err1 >&2; sleep 0.1; echo out1; echo out2; echo out3; echo out4');
    await ok('wait', 'lg');
    let res = await ok('logs', 'lg');
    assert.equal(res.stdout, 'out1\nout2\nout3\nout4\n');
    assert.equal(res.stderr, 'err1\n');
    res = await ok('logs', '-n', '2', 'lg');
    assert.equal(res.stdout, 'out3\nout4\n');
    assert.equal(res.stderr, '');
    res = await ok('logs', '--tail', 'all', 'lg');
    assert.equal(res.stdout, 'out1\nout2\nout3\nout4\n');
    res = await ok('logs', '-t', 'lg');
    const lines = res.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    const stamp = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)`;
    for (const [i, l] of lines.entries()) assert.match(l, new RegExp(`^${stamp} out${i + 1}$`));
    assert.match(res.stderr, new RegExp(`^${stamp} err1\n$`));
    res = await sk('logs', '-n', 'many', 'lg');
    assert.equal(res.code, 125);
    res = await sk('logs', 'no-such-ctr');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /no such container/);
    await ok('rm', 'lg');
  });

  test('logs of a container that ran in the foreground: its output was logged as it passed', async () => {
    const res = await sk('run', '--name', 'fglog', img, 'sh', '-c', 'echo out-1; echo err-1 >&2; echo out-2; exit 5');
    assert.equal(res.code, 5);
    assert.equal(res.stdout, 'out-1\nout-2\n');
    assert.equal(res.stderr, 'err-1\n');
    const logs = await ok('logs', 'fglog');
    assert.equal(logs.stdout, 'out-1\nout-2\n');
    assert.equal(logs.stderr, 'err-1\n');
    // The streams pass through separate pipes: which of them came last is up to the scheduler.
    const last = await ok('logs', '-n', '1', 'fglog');
    assert.ok(['out-2\n', 'err-1\n'].includes(last.stdout + last.stderr), `one last line, got ${JSON.stringify(last)}`);
    // start -a runs it in the foreground again; the log keeps both runs.
    assert.equal((await sk('start', '-a', 'fglog')).code, 5);
    assert.equal((await ok('logs', 'fglog')).stdout, 'out-1\nout-2\nout-1\nout-2\n');
    await ok('rm', 'fglog');
  });

  test('logs --since and --until: a time between two lines splits them', async () => {
    await runD('tm', 'sh', '-c', 'echo early; sleep 0.4; echo late');
    await ok('wait', 'tm');
    const stamps = (await ok('logs', '-t', 'tm')).stdout
      .trimEnd()
      .split('\n')
      .map((l) => Date.parse(l.split(' ')[0]!.replace(/(\.\d{3})\d+/, '$1')));
    assert.equal(stamps.length, 2);
    assert.ok(stamps[1]! - stamps[0]! >= 300, 'the lines are 0.4 s apart');
    const mid = new Date((stamps[0]! + stamps[1]!) / 2).toISOString();
    assert.equal((await ok('logs', '--since', mid, 'tm')).stdout, 'late\n');
    assert.equal((await ok('logs', '--until', mid, 'tm')).stdout, 'early\n');
    // Unix seconds and durations too.
    const before = String(Math.floor(stamps[0]! / 1000) - 60);
    assert.equal((await ok('logs', '--since', before, 'tm')).stdout, 'early\nlate\n');
    assert.equal((await ok('logs', '--until', before, 'tm')).stdout, '');
    assert.equal((await ok('logs', '--since', '10m', 'tm')).stdout, 'early\nlate\n');
    const bad = await sk('logs', '--since', 'yesterday-ish', 'tm');
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid time/);
    await ok('rm', 'tm');
  });

  test('logs -f follows a running container until it exits', async () => {
    await runD('fl', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done');
    assert.equal(await state('fl'), 'running');
    const t0 = Date.now();
    const res = await ok('logs', '-f', 'fl');
    assert.equal(res.stdout, 'line1\nline2\nline3\nline4\nline5\n');
    assert.ok(Date.now() - t0 >= 250, 'it waited for the lines to come');
    assert.equal(await state('fl'), 'exited', 'it returned once the container exited');
    await ok('rm', 'fl');
  });

  test('exec: exit code, -e, -w, -u, -d, a missing command (127), a stopped container (125)', async () => {
    await runWith(['-e', 'FOO=base', '-w', '/tmp'], 'ex', 'sleep', '100');
    let res = await sk('exec', 'ex', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 4');
    assert.equal(res.code, 4);
    assert.equal(res.stdout, 'to-out\n');
    assert.equal(res.stderr, 'to-err\n');
    assert.equal((await ok('exec', '-e', 'A=1', 'ex', 'sh', '-c', 'echo $A $FOO')).stdout, '1 base\n');
    assert.equal((await ok('exec', '-e', 'FOO=over', 'ex', 'sh', '-c', 'echo $FOO')).stdout, 'over\n');
    // A bare name takes the caller's value, and is left out when the caller has none.
    const bare = await runCli(['--root', root, 'exec', '-e', 'FROM_HOST', '-e', 'UNSET_HERE', 'ex', 'sh', '-c', 'echo "$FROM_HOST ${UNSET_HERE-absent}"'], { FROM_HOST: 'h1' });
    assert.equal(bare.stdout, 'h1 absent\n', bare.stderr);
    assert.equal((await ok('exec', 'ex', 'sh', '-c', 'pwd')).stdout, '/tmp\n', "the container's working directory");
    assert.equal((await ok('exec', '-w', '/etc', 'ex', 'sh', '-c', 'pwd')).stdout, '/etc\n');
    assert.match((await ok('exec', 'ex', 'id')).stdout, /^uid=0\(root\) gid=0\(root\)/);
    assert.match((await ok('exec', '-u', 'nobody', 'ex', 'id')).stdout, /^uid=65534\(nobody\) gid=65534\(nogroup\)/);
    assert.match((await ok('exec', '-u', '65534', 'ex', 'id')).stdout, /^uid=65534\(nobody\)/);

    const pid = Number(await field('ex', '{{.State.Pid}}'));
    const marker = `/proc/${pid}/root/tmp/marker`;
    assert.ok(!existsSync(marker));
    res = await ok('exec', '-d', 'ex', 'sh', '-c', 'sleep 0.5; echo made > /tmp/marker');
    assert.equal(res.stdout, '');
    assert.ok(!existsSync(marker), 'exec -d returns before the command is done');
    assert.equal(await until('the marker file', () => (existsSync(marker) ? readFileSync(marker, 'utf8') : undefined)), 'made\n');

    res = await sk('exec', 'ex', 'no-such-command');
    assert.equal(res.code, 127);
    assert.match(res.stderr, /"no-such-command": executable file not found in \$PATH/);
    res = await sk('exec', '-w', 'relative', 'ex', 'true');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /absolute path/);

    await ok('kill', 'ex');
    await ok('wait', 'ex');
    res = await sk('exec', 'ex', 'true');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /^skiff: container ex is not running/);
    res = await sk('exec', 'no-such-ctr', 'true');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /no such container/);
    await ok('rm', 'ex');
  });

  test('rm: a running container needs -f; -f leaves nothing behind; several at once; missing ones', async () => {
    const id = await runD('busy', 'sleep', '100');
    let res = await sk('rm', 'busy');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /busy.*running/);
    assert.equal(res.stdout, '');
    assert.equal(await state('busy'), 'running', 'still there, still running');

    res = await ok('rm', '-f', 'busy');
    assert.equal(res.stdout, 'busy\n');
    assert.equal((await sk('inspect', 'busy')).code, 125);
    assert.ok(!existsSync(join(root, 'containers', id)), 'container directory removed');
    assert.ok(!existsSync(join(root, 'run', 'runc', id)), 'runc state removed');
    assert.ok(!existsSync(join(root, 'run', 'c', id)), 'conmon directory removed');
    assert.deepEqual(mountsUnder(root).filter((m) => m.includes(id)), [], 'root filesystem unmounted');
    await until('conmon and the container to be gone', () => processesMentioning(id).length === 0);

    await ok('create', '--name', 'one', img, 'true');
    await ok('create', '--name', 'two', img, 'true');
    res = await ok('rm', 'one', 'two');
    assert.equal(res.stdout, 'one\ntwo\n');

    res = await sk('rm', 'no-such-ctr');
    assert.equal(res.code, 125);
    assert.equal(res.stderr, 'skiff: no such container: no-such-ctr\n');
    res = await sk('rm', '-f', 'no-such-ctr');
    assert.deepEqual(res, { code: 0, stdout: '', stderr: '' });

    // One missing name does not stop the others.
    await ok('create', '--name', 'three', img, 'true');
    res = await sk('rm', 'no-such-ctr', 'three');
    assert.equal(res.code, 125);
    assert.equal(res.stdout, 'three\n');
    assert.match(res.stderr, /no such container: no-such-ctr/);
  });

  test('inspect: JSON a script can read, -f templates, and images by name', async () => {
    const real = await runWith(['-e', 'X=1', '-l', 'role=test'], 'insp', 'sleep', '100');
    const res = await ok('inspect', 'insp');
    const [info] = JSON.parse(res.stdout) as {
      Id: string;
      Name: string;
      Image: string;
      State: { Status: string; Running: boolean; ExitCode: number; Pid: number };
      Config: { Cmd: string[]; Env: string[]; Image: string; Labels: Record<string, string> };
    }[];
    assert.equal(info!.Id, real);
    assert.equal(info!.Name, '/insp');
    assert.equal(info!.State.Status, 'running');
    assert.equal(info!.State.Running, true);
    assert.equal(info!.State.ExitCode, 0);
    assert.ok(info!.State.Pid > 0);
    assert.equal(readFileSync(`/proc/${info!.State.Pid}/cmdline`, 'utf8'), 'sleep\x00100\x00', 'Pid is the container process');
    assert.deepEqual(info!.Config.Cmd, ['sleep', '100']);
    assert.ok(info!.Config.Env.includes('FOO=bar'), "the image's environment");
    assert.ok(info!.Config.Env.includes('X=1'), 'and -e');
    assert.deepEqual(info!.Config.Labels, { role: 'test' });
    assert.match(info!.Image, /^sha256:[a-f0-9]{64}$/);

    assert.equal((await ok('inspect', '-f', '{{.State.Status}}', 'insp')).stdout, 'running\n');
    assert.equal((await ok('container', 'inspect', '--format', '{{.Name}} {{.State.Running}}', real.slice(0, 12))).stdout, '/insp true\n');
    await ok('kill', 'insp');
    await ok('wait', 'insp');
    assert.equal((await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}', 'insp')).stdout, 'exited 137 0\n');

    const image = JSON.parse((await ok('inspect', img)).stdout) as { Id: string; RepoTags: string[] }[];
    assert.equal(image.length, 1);
    assert.equal(image[0]!.Id, info!.Image, 'the image the container was made from');
    assert.ok(image[0]!.RepoTags.includes(img));
    const missing = await sk('inspect', 'no-such-thing');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /no such object: no-such-thing/);
    await ok('rm', 'insp');
  });

  test('container prune removes created and exited containers, not running ones; without -f it asks, and no answer is no', async () => {
    const created = (await ok('create', '--name', 'pr-created', img, 'true')).stdout.trim();
    const exited = await runD('pr-exited', 'sh', '-c', 'exit 2');
    await ok('wait', 'pr-exited');
    const running = await runD('pr-running', 'sleep', '100');
    const all = async () => new Set((await ok('ps', '-a', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean));

    let res = await sk('container', 'prune');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /Are you sure you want to continue\? \[y\/N\]/);
    assert.match(res.stderr, /nothing removed/);
    const before = await all();
    for (const id of [created, exited, running]) assert.ok(before.has(id), 'nothing removed');

    res = await ok('container', 'prune', '-f');
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines[0], 'Deleted Containers:');
    assert.ok(lines.includes(created) && lines.includes(exited), res.stdout);
    assert.ok(!lines.includes(running));
    const left = await all();
    assert.ok(left.has(running) && !left.has(created) && !left.has(exited));
    const runningNow = new Set((await ok('ps', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean));
    assert.deepEqual(left, runningNow, 'only running containers are left');
    assert.equal(await state('pr-running'), 'running');
    assert.ok(!existsSync(join(root, 'containers', created)) && !existsSync(join(root, 'containers', exited)));
    await ok('rm', '-f', 'pr-running');
  });

  test('container ls, list, ps, rm, start, stop and wait are the same commands', async () => {
    const id = (await ok('container', 'create', '--name', 'al', img, 'sh', '-c', TRAPS_TERM)).stdout.trim();
    assert.match(id, HEX64);
    assert.equal((await ok('container', 'ls', '-a', '--filter', 'name=^al$', '--format', '{{.Names}} {{.Status}}')).stdout, 'al Created\n');
    assert.equal((await ok('container', 'list', '-aq', '--filter', `id=${id.slice(0, 8)}`)).stdout, `${id.slice(0, 12)}\n`);
    await ok('container', 'start', 'al');
    assert.match((await ok('container', 'ps', '--format', '{{.Names}} {{.Status}}')).stdout, /^al Up /m);
    await ok('container', 'stop', 'al');
    assert.equal((await ok('container', 'wait', 'al')).stdout, '0\n');
    const res = await ok('container', 'rm', 'al');
    assert.equal(res.stdout, 'al\n');
    assert.equal((await ok('container', 'ls', '-a', '-q', '--filter', 'name=^al$')).stdout, '');
    assert.equal((await sk('container', 'remove', 'al')).code, 125, 'remove is rm too, and al is gone');
  });

  test('run -d --rm: conmon\'s exit command removes the container after it exits', async () => {
    const real = await runWith(['--rm'], 'auto', 'sh', '-c', 'sleep 0.2');
    assert.equal((await ok('inspect', '-f', '{{.HostConfig.AutoRemove}}', 'auto')).stdout, 'true\n');
    await until('the container to be removed', async () => !(await ok('ps', '-a', '-q', '--no-trunc')).stdout.includes(real));
    assert.equal((await sk('inspect', 'auto')).code, 125);
    assert.ok(!existsSync(join(root, 'containers', real)));
    assert.deepEqual(mountsUnder(root).filter((m) => m.includes(real)), []);
  });

  test('rmi of an image a container uses is refused unless -f; the container still starts after rmi -f', async () => {
    await ok('create', '--name', 'orphan', other, 'sh', '-c', 'cat /other.txt; trap "exit 0" TERM; while :; do sleep 0.1; done');
    let res = await sk('rmi', other);
    assert.equal(res.code, 125);
    assert.match(res.stderr, /^skiff: unable to remove image .*life\/other.*: container [a-f0-9]{12} \(orphan\) uses it/);
    assert.equal(res.stdout, '');
    assert.match((await ok('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout, /life\/other:v1/);

    res = await ok('rmi', '-f', other);
    assert.match(res.stdout, new RegExp(`^Untagged: ${other.replace(/[.]/g, '\\.')}\n`));
    assert.doesNotMatch((await ok('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout, /life\/other/);

    const lower = await field('orphan', '{{.GraphDriver.Data.LowerDir}}');
    for (const dir of lower.split(':')) assert.ok(existsSync(dir), `layer ${dir} kept for the container`);
    await ok('start', 'orphan');
    assert.match(await psStatus('orphan'), /^Up /);
    assert.match((await ok('ps', '--format', '{{.Names}} {{.Image}}')).stdout, new RegExp(`^orphan ${other.replace(/[.]/g, '\\.')}$`, 'm'));
    await until('output from the removed image\'s layer', async () => (await logsOf('orphan')) === 'from the other layer\n');
    await ok('rm', '-f', 'orphan');
  });

  test('with everything removed, nothing is left behind', async () => {
    const ids = (await ok('ps', '-a', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await ok('rm', '-f', ...ids);
    await until('conmon processes to exit', () => processesMentioning(root).length === 0);
    assertNoContainers(root);
  });
});
