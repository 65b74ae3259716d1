// User networks: network create/ls/inspect/rm/prune, their errors, and containers on one
// network reaching each other by name and alias as members come and go. Each network is a
// bridge on this host with its own subnet; traffic stays on it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliAt, removeAllContainers, runCli, spawnCli, tempRoot } from '../helpers/cli.js';
import { assertNoContainers } from '../helpers/container-check.js';
import { hostLinks, iptablesMentioning, leasesOf, pulledBusybox } from '../helpers/net.js';
import type { RunningRegistry } from '../helpers/registry.js';
import { until } from '../helpers/until.js';

interface InspectedNetwork {
  Name: string;
  Id: string;
  Driver: string;
  Internal: boolean;
  IPAM: { Config: { Subnet: string; Gateway: string }[] };
  Containers: Record<string, { Name: string; IPv4Address: string }>;
  Options: { bridge: string };
  Labels: Record<string, string>;
}

describe('user networks', () => {
  let reg: RunningRegistry;
  let img: string;
  const { root, cleanup } = tempRoot();
  const { sk, ok } = cliAt(root);
  const networksDir = join(root, 'config', 'networks');
  const inspect = async (name: string) => (JSON.parse((await ok('network', 'inspect', name)).stdout) as InspectedNetwork[])[0]!;
  const names = async () => (await ok('network', 'ls', '--format', '{{.Name}}')).stdout.trim().split('\n');

  before(async () => {
    ({ reg, img } = await pulledBusybox(ok));
  });
  after(async () => {
    await removeAllContainers(sk);
    // Bridges and rules are the host's: take down what this file made.
    const left = (await sk('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n').filter((n) => n && n !== 'skiff');
    if (left.length > 0) await sk('network', 'rm', '-f', ...left);
    await reg?.stop();
    cleanup();
  });

  test('create prints the ID; ls, -q, json, templates and filters show it; inspect describes it; the config is a CNI list', async () => {
    const id = (await ok('network', 'create', '--subnet', '10.91.7.0/24', '--label', 'team=red', 'red')).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const table = (await ok('network', 'ls')).stdout.split('\n');
    assert.match(table[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SUBNET\s+INTERNAL$/);
    assert.ok(table.some((l) => new RegExp(`^${id.slice(0, 12)}\\s+red\\s+bridge\\s+10\\.91\\.7\\.0/24\\s+false$`).test(l)), table.join('\n'));
    assert.ok(table.some((l) => /\sskiff\s+bridge\s+10\.89\.0\.0\/16\s/.test(l)), 'the default network is listed');
    assert.ok((await ok('network', 'ls', '-q')).stdout.split('\n').includes(id.slice(0, 12)));
    assert.ok((await ok('network', 'ls', '-q', '--no-trunc')).stdout.split('\n').includes(id));
    const json = (await ok('network', 'ls', '--format', 'json', '-f', 'name=^red$')).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(json.map((r) => [r.Name, r.Subnet, r.Gateway, r.Labels]), [['red', '10.91.7.0/24', '10.91.7.1', { team: 'red' }]]);
    assert.equal((await ok('network', 'ls', '-f', 'label=team=red', '--format', '{{.Name}} {{.Driver}}')).stdout, 'red bridge\n');
    assert.equal((await ok('network', 'ls', '-f', 'label=team=blue', '-q')).stdout, '');
    assert.equal((await ok('network', 'ls', '-f', `id=${id.slice(0, 8)}`, '--format', '{{.Name}}')).stdout, 'red\n');
    const r = await sk('network', 'ls', '-f', 'colour=red');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /invalid filter "colour=red"/);

    const n = await inspect('red');
    assert.equal(n.Id, id);
    assert.equal(n.Driver, 'bridge');
    assert.deepEqual(n.IPAM.Config, [{ Subnet: '10.91.7.0/24', Gateway: '10.91.7.1' }]);
    assert.equal(n.Options.bridge, `sk-${id.slice(0, 12)}`);
    assert.deepEqual(n.Labels, { team: 'red' });
    assert.equal((await ok('network', 'inspect', '-f', '{{.Name}}', id.slice(0, 10))).stdout, 'red\n', 'by ID prefix');

    const list = JSON.parse(readFileSync(join(networksDir, 'red.conflist'), 'utf8')) as { cniVersion: string; name: string; plugins: { type: string; ipam?: { type: string } }[] };
    assert.equal(list.name, 'red');
    assert.deepEqual(list.plugins.map((p) => p.type), ['bridge', 'portmap']);
    assert.equal(list.plugins[0]!.ipam!.type, 'host-local');
    assert.ok(existsSync(join(networksDir, 'skiff.conflist')), "the default network's config is kept there too");
    await ok('network', 'rm', 'red');
  });

  test('bad creates are clear errors, 125, and create nothing', async () => {
    await ok('network', 'create', '--subnet', '10.91.8.0/24', 'taken');
    const before = await names();
    const cases: [string[], RegExp][] = [
      [['--subnet', '10.91.8.128/25', 'x1'], /subnet 10\.91\.8\.128\/25 overlaps network taken \(10\.91\.8\.0\/24\)/],
      [['--subnet', '10.89.3.0/24', 'x2'], /overlaps network skiff \(10\.89\.0\.0\/16\)/],
      [['--subnet', '10.91.9.1/24', 'x3'], /has host bits set; the network is 10\.91\.9\.0\/24/],
      [['--subnet', '10.91.9.0/24', '--gateway', '10.91.10.1', 'x4'], /invalid --gateway 10\.91\.10\.1: not a host address of 10\.91\.9\.0\/24/],
      [['--subnet', 'fd00::/64', 'x5'], /IPv6 networks are not supported/],
      [['--subnet', 'banana', 'x6'], /invalid subnet "banana"/],
      [['--gateway', '10.91.9.1', 'x7'], /--gateway needs --subnet/],
      [['bridge'], /network name "bridge" is reserved/],
      [['taken'], /network taken already exists/],
      [['bad name'], /invalid network name "bad name"/],
      [['-d', 'macvlan', 'x8'], /unsupported network driver "macvlan"/],
    ];
    for (const [args, message] of cases) {
      const r = await sk('network', 'create', ...args);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    // A host route (the loopback's 127.0.0.0/8 is local, not routed: use the default network's bridge once it exists).
    await ok('run', '--rm', img, 'true');
    const routed = await sk('network', 'create', '--subnet', '10.89.0.0/24', 'x9');
    assert.equal(routed.code, 125);
    assert.match(routed.stderr, /overlaps/);
    assert.deepEqual(await names(), before);
    const missing = await sk('network', 'inspect', 'nosuch');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /network nosuch not found/);
    await ok('network', 'rm', 'taken');
  });

  test('two containers on a user network reach each other by name, alias and short ID; the hosts files follow members', async () => {
    await ok('network', 'create', '--subnet', '10.91.11.0/24', 'app');
    const SERVE = 'mkdir -p /www && echo hello-$(hostname) > /www/index.html && httpd -f -p 80 -h /www';
    const web = (await ok('run', '-d', '--name', 'web', '--hostname', 'webhost', '--network', 'app', '--network-alias', 'www', img, 'sh', '-c', SERVE)).stdout.trim();
    // (busybox's wget -T crashes; the server is up once it answers by address)
    const fetch = (target: string) => sk('run', '--rm', '--network', 'app', img, 'wget', '-q', '-O', '-', `http://${target}/`);
    await until('web to answer', async () => (await fetch('web')).stdout || undefined);
    for (const target of ['web', 'www', web.slice(0, 12)]) assert.equal((await fetch(target)).stdout, 'hello-webhost\n', target);

    // A member that comes later is in the first one's file (and in that of a container sharing
    // its namespace); once it stops, it is gone again.
    await ok('run', '-d', '--name', 'side', '--network', 'container:web', img, 'sleep', '60');
    const peer = (await ok('run', '-d', '--name', 'peer', '--network', 'app', img, 'sleep', '60')).stdout.trim();
    assert.match((await ok('exec', 'side', 'cat', '/etc/hosts')).stdout, /^10\.91\.11\.\d+\tpeer [0-9a-f]{12}$/m);
    const webHosts = async () => (await ok('exec', 'web', 'cat', '/etc/hosts')).stdout;
    assert.match(await webHosts(), /^10\.91\.11\.\d+\tpeer [0-9a-f]{12}$/m);
    assert.match((await ok('exec', 'peer', 'cat', '/etc/hosts')).stdout, /^10\.91\.11\.\d+\tweb www [0-9a-f]{12}$/m);
    // (busybox's sh runs ping as an applet; the test image has no /bin/ping link)
    assert.equal((await ok('exec', 'peer', 'sh', '-c', 'ping -c 1 -W 2 web')).code, 0);
    const n = await inspect('app');
    assert.deepEqual(Object.keys(n.Containers).sort(), [peer, web].sort());
    assert.match(n.Containers[web]!.IPv4Address, /^10\.91\.11\.\d+\/24$/);
    await ok('stop', '-t', '0', 'peer');
    await until('peer to leave web\'s hosts file', async () => (!/\tpeer /.test(await webHosts()) ? true : undefined));
    await ok('start', 'peer');
    assert.match(await webHosts(), /\tpeer /, 'back after start');

    // The default network resolves no names, as docker's does not.
    const plain = await sk('run', '--rm', img, 'sh', '-c', 'ping -c 1 -W 1 web');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /bad address 'web'/);
    await ok('rm', '-f', 'side', 'web', 'peer');
    await ok('network', 'rm', 'app');
  });

  test('rm refuses a network in use, -f removes its containers; the bridge, rules and leases go with it', async () => {
    const id = (await ok('network', 'create', '--subnet', '10.91.12.0/24', 'busy')).stdout.trim();
    const bridge = `sk-${id.slice(0, 12)}`;
    const c = (await ok('run', '-d', '--name', 'user1', '--network', 'busy', img, 'sleep', '60')).stdout.trim();
    await ok('create', '--name', 'user2', '--network', 'busy', img, 'true');
    assert.ok(hostLinks().includes(bridge));
    assert.ok(iptablesMentioning(`skiff:${bridge}`).length > 0, 'its forwarding and masquerade rules');
    assert.equal(leasesOf(c, 'busy').length, 1);
    const r = await sk('network', 'rm', 'busy');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /network busy has containers attached: (user1, user2|user2, user1) \(remove them first, or use network rm -f\)/);
    assert.equal((await ok('network', 'rm', '-f', 'busy')).stdout, 'busy\n');
    assert.equal((await ok('ps', '-aq', '-f', 'name=user')).stdout, '');
    assert.ok(!hostLinks().includes(bridge), 'bridge removed');
    assert.deepEqual(iptablesMentioning(`skiff:${bridge}`), [], 'rules removed');
    assert.ok(!existsSync(join('/run/skiff/cni', 'busy')), 'lease dir removed');
    const gone = await sk('run', '--rm', '--network', 'busy', img, 'true');
    assert.equal(gone.code, 125);
    assert.match(gone.stderr, /network busy not found/);
    const dflt = await sk('network', 'rm', 'skiff');
    assert.equal(dflt.code, 125);
    assert.match(dflt.stderr, /the default network skiff cannot be removed/);
  });

  test('prune removes unused user networks only, and asks first without -f', async () => {
    await ok('network', 'create', 'unused1');
    await ok('network', 'create', 'unused2');
    await ok('network', 'create', 'used');
    await ok('create', '--name', 'holder', '--network', 'used', img, 'true');
    const asked = await runCli(['--root', root, 'network', 'prune']);
    assert.equal(asked.code, 125);
    assert.match(asked.stderr, /not confirmed; nothing removed/);
    assert.ok((await names()).includes('unused1'));
    const pruned = (await ok('network', 'prune', '-f')).stdout.split('\n');
    assert.deepEqual(pruned.filter(Boolean), ['Deleted Networks:', 'unused1', 'unused2']);
    assert.deepEqual((await names()).sort(), ['skiff', 'used']);
    await ok('rm', 'holder');
    await ok('network', 'rm', 'used');
  });

  test('auto subnets do not collide; two creates of one name at once: exactly one wins', async () => {
    const a = await inspect((await ok('network', 'create', 'auto-a')).stdout.trim());
    const b = await inspect((await ok('network', 'create', 'auto-b')).stdout.trim());
    assert.match(a.IPAM.Config[0]!.Subnet, /^10\.90\.\d+\.0\/24$/);
    assert.notEqual(a.IPAM.Config[0]!.Subnet, b.IPAM.Config[0]!.Subnet);
    // Two processes, as two users' commands would be (a lock is per process: in-process calls would wait on each other).
    const both = await Promise.all([1, 2].map(() => spawnCli(['--root', root, 'network', 'create', 'twin']).done));
    assert.deepEqual(both.map((r) => r.code).sort(), [0, 125]);
    assert.match(both.find((r) => r.code === 125)!.stderr, /network twin already exists/);
    await ok('network', 'rm', 'auto-a', 'auto-b', 'twin');
  });

  test('--internal: no route out, members still reach each other', async () => {
    await ok('network', 'create', '--internal', '--subnet', '10.91.13.0/24', 'closed');
    assert.equal((await inspect('closed')).Internal, true);
    await ok('run', '-d', '--name', 'inside', '--network', 'closed', img, 'sleep', '60');
    const routes = (await ok('run', '--rm', '--network', 'closed', img, 'sh', '-c', 'ip route; ping -c 1 -W 2 inside >/dev/null && echo reached')).stdout;
    assert.doesNotMatch(routes, /^default/m, 'no default route');
    assert.match(routes, /^reached$/m);
    await ok('rm', '-f', 'inside');
    await ok('network', 'rm', 'closed');
  });

  test('--network, --ip and --network-alias errors are clear, 125, and create nothing', async () => {
    await ok('network', 'create', '--subnet', '10.91.14.0/24', 'addr');
    const id = (await ok('run', '--rm', '--network', 'addr', '--ip', '10.91.14.77', img, 'sh', '-c', 'ip -4 addr show eth0')).stdout;
    assert.match(id, /inet 10\.91\.14\.77\/24/);
    const cases: [string[], RegExp][] = [
      [['--network', 'nosuch'], /network nosuch not found/],
      [['--network', 'addr', '--ip', '10.91.15.2'], /invalid --ip 10\.91\.15\.2: not a host address of network addr \(10\.91\.14\.0\/24\)/],
      [['--network-alias', 'x'], /--network-alias needs a user network: the default network resolves no names/],
      [['--network', 'none', '--network-alias', 'x'], /--network-alias needs a user network, not none/],
      [['--network', 'addr', '--network-alias', 'bad alias'], /invalid --network-alias "bad alias"/],
    ];
    for (const [args, message] of cases) {
      const r = await sk('run', '--rm', ...args, img, 'true');
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, message);
    }
    assert.equal((await ok('ps', '-aq')).stdout, '');
    await ok('network', 'rm', 'addr');
  });

  test('everything removed: no container, network file or rule left', async () => {
    assertNoContainers(root);
    assert.deepEqual(readdirSync(networksDir).filter((f) => f.endsWith('.conflist')), ['skiff.conflist']);
    // A rule for a user network's bridge that no longer exists would be a leak.
    const rules = [...execFileSync('iptables', ['-S', 'SKIFF-FORWARD'], { encoding: 'utf8' }).split('\n'), ...execFileSync('iptables', ['-t', 'nat', '-S', 'SKIFF-POSTROUTING'], { encoding: 'utf8' }).split('\n')];
    const bridges = rules.map((l) => /skiff:(sk-[0-9a-f]{12})/.exec(l)?.[1]).filter((b): b is string => b !== undefined);
    assert.deepEqual(bridges.filter((b) => !hostLinks().includes(b)), []);
  });
});
