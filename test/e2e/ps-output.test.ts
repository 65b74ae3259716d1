// What ps prints, as docker users read it: the table (columns, short IDs, quoted and cut
// commands, status wording), -a, -q, -n/-l, --no-trunc, every filter, json and template
// formats; and a container whose monitor and process were killed behind skiff's back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cliAt, tempRoot } from '../helpers/cli.js';
import { busyboxLayer } from '../helpers/busybox.js';
import { assertNoContainers, processesMentioning } from '../helpers/container-check.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { until } from '../helpers/until.js';

const HEADERS = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
const LONG_COMMAND = ['sh', '-c', 'echo this is a long command line'];

/** The table as rows of named cells, cut at the header's column starts. */
function parseTable(text: string): { headers: string[]; rows: Record<string, string>[] } {
  const [head, ...lines] = text.replace(/\n$/, '').split('\n');
  const headers = head!.split(/ {2,}/);
  const starts = headers.map((h) => head!.indexOf(h));
  const rows = lines.map((l) => Object.fromEntries(headers.map((h, i) => [h, l.slice(starts[i], starts[i + 1]).trim()])));
  return { headers, rows };
}

/** A process's parent, from /proc. */
function parentOf(pid: number): number {
  const m = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

describe('ps output', () => {
  let reg: RunningRegistry;
  let img: string;
  let otherImg: string;
  let imageId: string;
  let otherImageId: string;
  const ids: Record<string, string> = {};
  const { root, cleanup } = tempRoot();
  const { sk, ok } = cliAt(root);
  const names = async (...args: string[]) => (await ok('ps', ...args, '--format', '{{.Names}}')).stdout.split('\n').filter(Boolean);
  const sorted = (a: string[]) => [...a].sort();

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'ps/busybox', 'latest', { layers: [{ tar: busyboxLayer() }], config: { config: { Cmd: ['sh'], Env: ['PATH=/bin'] } } });
    await pushImage(reg.url, 'ps/other', 'v2', { layers: [{ tar: busyboxLayer() }], config: { config: { Cmd: ['true'], Env: ['PATH=/bin', 'OTHER=1'] } } });
    img = `${reg.host}/ps/busybox`;
    otherImg = `${reg.host}/ps/other:v2`;
    await ok('pull', '-q', img);
    await ok('pull', '-q', otherImg);
    imageId = (await ok('image', 'inspect', '--format', '{{.Id}}', img)).stdout.trim();
    otherImageId = (await ok('image', 'inspect', '--format', '{{.Id}}', otherImg)).stdout.trim();
    assert.notEqual(imageId, otherImageId);

    // Oldest first; p-other is the newest and not running.
    ids['p-created'] = (await ok('create', '--name', 'p-created', '-l', 'tier=web', '-l', 'env=prod', img, ...LONG_COMMAND)).stdout.trim();
    ids['p-exit3'] = (await ok('run', '-d', '--name', 'p-exit3', '-l', 'tier=db', img, 'sh', '-c', 'exit 3')).stdout.trim();
    ids['p-exit0'] = (await ok('run', '-d', '--name', 'p-exit0', img, 'true')).stdout.trim();
    await ok('wait', 'p-exit3', 'p-exit0');
    ids['p-running'] = (await ok('run', '-d', '--name', 'p-running', '-l', 'tier=web', img, 'sleep', '100')).stdout.trim();
    ids['p-other'] = (await ok('create', '--name', 'p-other', otherImg)).stdout.trim();
    for (const id of Object.values(ids)) assert.match(id, /^[a-f0-9]{64}$/);
  });

  after(async () => {
    const left = (await sk('ps', '-a', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean);
    if (left.length > 0) await sk('rm', '-f', ...left);
    await reg?.stop();
    cleanup();
  });

  test('the table: docker\'s columns, 12-hex IDs, quoted commands cut at 20 characters, status wording', async () => {
    const res = await ok('ps', '-a');
    assert.equal(res.stderr, '');
    const { headers, rows } = parseTable(res.stdout);
    assert.deepEqual(headers, HEADERS);
    assert.match(res.stdout.split('\n')[0]!, /^CONTAINER ID {3}IMAGE {3,}COMMAND {3,}CREATED {3,}STATUS {3,}PORTS {3}NAMES$/);
    assert.deepEqual(rows.map((r) => r.NAMES), ['p-other', 'p-running', 'p-exit0', 'p-exit3', 'p-created'], 'newest first');
    const row = Object.fromEntries(rows.map((r) => [r.NAMES!, r]));
    for (const [name, r] of Object.entries(row)) {
      assert.equal(r['CONTAINER ID'], ids[name]!.slice(0, 12));
      assert.match(r.CREATED!, /^(Less than a second|\d+ seconds?) ago$/);
      assert.equal(r.PORTS, '');
    }
    assert.equal(row['p-created']!.COMMAND, '"sh -c echo this is …"', '19 characters and an ellipsis, quoted');
    assert.equal(row['p-running']!.COMMAND, '"sleep 100"', 'short commands are not cut');
    assert.equal(row['p-other']!.COMMAND, '"true"', "the image's Cmd");
    assert.equal(row['p-running']!.IMAGE, img);
    assert.equal(row['p-other']!.IMAGE, otherImg);
    assert.equal(row['p-created']!.STATUS, 'Created');
    assert.match(row['p-running']!.STATUS!, /^Up (Less than a second|\d+ seconds?)$/);
    assert.match(row['p-exit3']!.STATUS!, /^Exited \(3\) (Less than a second|\d+ seconds?) ago$/);
    assert.match(row['p-exit0']!.STATUS!, /^Exited \(0\) .+ ago$/);
  });

  test('--no-trunc: full IDs and full commands', async () => {
    const { rows } = parseTable((await ok('ps', '-a', '--no-trunc')).stdout);
    const row = Object.fromEntries(rows.map((r) => [r.NAMES!, r]));
    for (const [name, r] of Object.entries(row)) assert.equal(r['CONTAINER ID'], ids[name]);
    assert.equal(row['p-created']!.COMMAND, JSON.stringify(LONG_COMMAND.join(' ')));
  });

  test('plain ps lists running containers only; -a lists all; an empty list is the header alone', async () => {
    assert.deepEqual(await names(), ['p-running']);
    assert.deepEqual(sorted(await names('-a')), sorted(Object.keys(ids)));
    const res = await ok('ps', '--filter', 'name=^nothing-by-this-name$');
    assert.deepEqual(parseTable(res.stdout), { headers: HEADERS, rows: [] });
  });

  test('-q prints IDs only, one per line', async () => {
    assert.equal((await ok('ps', '-q')).stdout, `${ids['p-running']!.slice(0, 12)}\n`);
    const all = (await ok('ps', '-a', '-q')).stdout;
    assert.match(all, /^([a-f0-9]{12}\n){5}$/);
    assert.deepEqual(sorted(all.trim().split('\n')), sorted(Object.values(ids).map((id) => id.slice(0, 12))));
    assert.deepEqual(sorted((await ok('ps', '-aq', '--no-trunc')).stdout.trim().split('\n')), sorted(Object.values(ids)));
  });

  test('-n N and -l: the newest containers, whatever their state; after the filters', async () => {
    assert.deepEqual(await names('-n', '2'), ['p-other', 'p-running']);
    assert.deepEqual(await names('-l'), ['p-other']);
    assert.equal((await ok('ps', '-lq')).stdout, `${ids['p-other']!.slice(0, 12)}\n`);
    // docker counts only the containers that pass the filters.
    assert.deepEqual(await names('-n', '1', '--filter', 'status=exited'), ['p-exit0']);
    assert.deepEqual(await names('-l', '--filter', 'status=running'), ['p-running']);
    const bad = await sk('ps', '-n', 'two');
    assert.equal(bad.code, 125);
  });

  test('filters: id, name, label, status, exited, ancestor; a key twice is OR, two keys AND', async () => {
    assert.deepEqual(await names('-a', '--filter', `id=${ids['p-exit3']!.slice(0, 6)}`), ['p-exit3']);
    assert.deepEqual(await names('-a', '--filter', `id=${ids['p-exit3']}`), ['p-exit3']);
    assert.deepEqual(await names('-a', '--filter', 'name=p-exit3'), ['p-exit3']);
    assert.deepEqual(sorted(await names('-a', '--filter', 'name=exit')), ['p-exit0', 'p-exit3'], 'names match in part, as docker does');
    assert.deepEqual(sorted(await names('-a', '--filter', 'label=tier')), ['p-created', 'p-exit3', 'p-running']);
    assert.deepEqual(sorted(await names('-a', '--filter', 'label=tier=web')), ['p-created', 'p-running']);
    assert.deepEqual(await names('-a', '--filter', 'label=env=prod'), ['p-created']);
    assert.deepEqual(await names('-a', '--filter', 'label=env=dev'), []);
    assert.deepEqual(sorted(await names('--filter', 'status=exited')), ['p-exit0', 'p-exit3'], 'a status filter implies -a');
    assert.deepEqual(await names('--filter', 'status=running'), ['p-running']);
    assert.deepEqual(sorted(await names('-a', '--filter', 'status=created')), ['p-created', 'p-other']);
    assert.deepEqual(await names('-a', '--filter', 'exited=3'), ['p-exit3']);
    assert.deepEqual(await names('-a', '--filter', 'exited=0'), ['p-exit0']);
    assert.deepEqual(await names('-a', '--filter', 'exited=137'), []);

    const fromImg = ['p-created', 'p-exit0', 'p-exit3', 'p-running'];
    assert.deepEqual(sorted(await names('-a', '--filter', `ancestor=${img}`)), fromImg, 'by the name it was run with');
    assert.deepEqual(sorted(await names('-a', '--filter', `ancestor=${img}:latest`)), fromImg, 'with the tag spelled out');
    assert.deepEqual(sorted(await names('-a', '--filter', `ancestor=${imageId.slice(7, 19)}`)), fromImg, 'by image ID prefix');
    assert.deepEqual(await names('-a', '--filter', `ancestor=${otherImageId}`), ['p-other'], 'by full image ID');
    assert.deepEqual(await names('-a', '--filter', `ancestor=${otherImg}`), ['p-other']);
    assert.deepEqual(await names('-a', '--filter', 'ancestor=no/such-image'), []);

    // The same key twice: either value. Different keys: both.
    assert.deepEqual(sorted(await names('--filter', 'status=exited', '--filter', 'status=running')), ['p-exit0', 'p-exit3', 'p-running']);
    assert.deepEqual(sorted(await names('-a', '--filter', 'name=p-exit0', '--filter', 'name=p-other')), ['p-exit0', 'p-other']);
    assert.deepEqual(await names('-a', '--filter', 'label=tier', '--filter', 'status=exited'), ['p-exit3']);
    assert.deepEqual(await names('-a', '--filter', 'label=tier=web', '--filter', 'status=running'), ['p-running']);
    assert.deepEqual(await names('-a', '--filter', 'label=tier=db', '--filter', 'status=running'), []);
    assert.deepEqual(sorted(await names('-a', '-f', 'label=tier', '-f', 'status=exited', '-f', 'status=created')), ['p-created', 'p-exit3']);
  });

  test('an invalid filter fails with 125 and says why', async () => {
    for (const [flag, why] of [
      ['bogus=1', /^skiff: invalid filter "bogus=1": expected one of id=, name=/],
      ['status', /^skiff: invalid filter "status"/],
      ['status=sleeping', /^skiff: invalid filter "status=sleeping": status is one of created, running, exited/],
      ['exited=abc', /^skiff: invalid filter "exited=abc": exited takes an exit code/],
    ] as const) {
      const res = await sk('ps', '-a', '--filter', flag);
      assert.equal(res.code, 125, flag);
      assert.match(res.stderr, why);
      assert.equal(res.stdout, '', 'no table after an error');
    }
  });

  test('--format json: one object per line with docker\'s field names', async () => {
    const res = await ok('ps', '-a', '--format', 'json');
    const lines = res.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const o of objs) {
      for (const k of ['ID', 'Image', 'Command', 'CreatedAt', 'Status', 'State', 'Names', 'Labels']) assert.ok(k in o, `${k} in ${JSON.stringify(o)}`);
      assert.match(o.ID as string, /^[a-f0-9]{12}$/);
    }
    const by = Object.fromEntries(objs.map((o) => [o.Names as string, o]));
    assert.equal(by['p-created']!.ID, ids['p-created']!.slice(0, 12));
    assert.equal(by['p-created']!.State, 'created');
    assert.equal(by['p-created']!.Status, 'Created');
    assert.equal(by['p-created']!.Image, img);
    assert.equal(by['p-created']!.Command, '"sh -c echo this is …"');
    assert.deepEqual(sorted((by['p-created']!.Labels as string).split(',')), ['env=prod', 'tier=web']);
    assert.equal(by['p-running']!.State, 'running');
    assert.match(by['p-running']!.Status as string, /^Up /);
    assert.equal(by['p-exit3']!.State, 'exited');
    assert.match(by['p-exit3']!.Status as string, /^Exited \(3\) /);
    assert.equal(by['p-exit0']!.Labels, '');
    assert.ok(!Number.isNaN(Date.parse(by['p-exit0']!.CreatedAt as string)));
    const full = JSON.parse((await ok('ps', '--no-trunc', '--format', '{{json .}}')).stdout) as Record<string, unknown>;
    assert.equal(full.ID, ids['p-running']);
  });

  test('--format templates, with and without a table header', async () => {
    let res = await ok('ps', '--format', '{{.ID}} {{.Names}}');
    assert.equal(res.stdout, `${ids['p-running']!.slice(0, 12)} p-running\n`);
    res = await ok('ps', '-a', '--format', '{{.Names}}:{{.State}}', '--filter', 'name=^p-exit');
    assert.deepEqual(sorted(res.stdout.trim().split('\n')), ['p-exit0:exited', 'p-exit3:exited']);
    res = await ok('ps', '-a', '--format', 'table {{.Names}}\\t{{.Status}}', '--filter', 'status=exited');
    const lines = res.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'NAMES\tSTATUS');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /^p-exit0\tExited \(0\) .+ ago$/);
    assert.match(lines[2]!, /^p-exit3\tExited \(3\) .+ ago$/);
    res = await ok('ps', '--format', 'table {{.Names}}\t{{.Image}}');
    assert.equal(res.stdout, `NAMES\tIMAGE\np-running\t${img}\n`, 'a real tab works as well as \\t');
    res = await sk('ps', '--format', '{{if .Names}}x{{end}}');
    assert.equal(res.code, 125);
    assert.match(res.stderr, /unsupported template action/);
  });

  test('a container whose conmon and process were killed while nobody watched shows Exited, not Up', async () => {
    ids['p-lost'] = (await ok('run', '-d', '--name', 'p-lost', img, 'sleep', '100')).stdout.trim();
    const pid = Number((await ok('inspect', '-f', '{{.State.Pid}}', 'p-lost')).stdout.trim());
    assert.ok(pid > 0);
    const conmon = parentOf(pid);
    assert.match(readFileSync(`/proc/${conmon}/cmdline`, 'utf8'), /conmon/, 'the container process is a child of conmon');
    assert.match((await ok('ps', '--filter', 'name=p-lost', '--format', '{{.Status}}')).stdout, /^Up /);
    process.kill(conmon, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    const status = await until('ps to notice', async () => {
      const s = (await ok('ps', '-a', '--filter', 'name=p-lost', '--format', '{{.Status}} {{.State}}')).stdout.trim();
      return /^Up /.test(s) ? undefined : s;
    });
    assert.match(status, /^Exited \(.+\) .+ ago exited$/);
    assert.deepEqual(await names('--filter', 'name=p-lost'), [], 'not among the running');
    assert.equal((await ok('inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'p-lost')).stdout, 'exited false\n');
    // Nobody saw its end: ps says so, inspect and wait give -1.
    assert.match(status, /^Exited \(unknown\) /);
    assert.equal((await ok('inspect', '-f', '{{.State.ExitCode}}', 'p-lost')).stdout, '-1\n');
    assert.equal((await ok('wait', 'p-lost')).stdout, '-1\n');
    // It can be removed, and started again before that.
    await ok('start', 'p-lost');
    assert.match((await ok('ps', '--filter', 'name=p-lost', '--format', '{{.Status}}')).stdout, /^Up /);
    await ok('rm', '-f', 'p-lost');
  });

  test('with everything removed, nothing is left behind', async () => {
    const left = (await ok('ps', '-a', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean);
    assert.deepEqual(sorted(left), sorted(Object.entries(ids).filter(([n]) => n !== 'p-lost').map(([, id]) => id)));
    const res = await ok('rm', '-f', ...left);
    assert.equal(res.stdout.trim().split('\n').length, left.length);
    assert.equal((await ok('ps', '-a')).stdout, `${HEADERS.join('   ')}\n`);
    await until('conmon processes to exit', () => processesMentioning(root).length === 0);
    assertNoContainers(root);
  });
});
