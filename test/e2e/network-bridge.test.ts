// --network bridge: the standard CNI plugins put the container on skiff0 with an address, a
// default route and NAT; a server in it answers the host; exit, rm and a killed skiff leave no
// lease, namespace, veth or iptables rule behind. Traffic stays on the host's bridge.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { IPAM_DIR } from '../../src/network/network-config.js';
import { busyboxLayer } from '../helpers/busybox.js';
import { cliAt, removeAllContainers, spawnCli, tempRoot } from '../helpers/cli.js';
import { assertNoContainers } from '../helpers/container-check.js';
import { pushImage } from '../helpers/push.js';
import type { RunningRegistry } from '../helpers/registry.js';
import { until } from '../helpers/until.js';
import { freePort, hostLinks, httpGet, iptablesMentioning, leasesOf, pulledBusybox } from '../helpers/net.js';

describe('--network bridge', () => {
  let reg: RunningRegistry;
  let img: string;
  const { root, cleanup } = tempRoot();
  const { sk, ok } = cliAt(root);
  const network = (id: string) =>
    (JSON.parse(readFileSync(join(root, 'containers', id, 'network.json'), 'utf8')) as { result: { ips: { address: string }[]; interfaces: { name: string; sandbox?: string }[] } }).result;

  /** Nothing of the container's network is left on the host. */
  async function assertDetached(id: string, hostVeth?: string): Promise<void> {
    assert.deepEqual(leasesOf(id), [], 'no address lease');
    assert.deepEqual(iptablesMentioning(id), [], 'no iptables rule');
    assert.ok(!existsSync(join(root, 'run', 'netns', id.slice(0, 16))), 'no namespace file');
    // The kernel takes the veth down with the namespace, in the background.
    if (hostVeth) await until(`veth ${hostVeth} to go`, () => !hostLinks().includes(hostVeth));
  }

  before(async () => {
    ({ reg, img } = await pulledBusybox(ok));
  });
  after(async () => {
    await removeAllContainers(sk);
    await reg?.stop();
    cleanup();
  });

  test('eth0 on skiff0 with an address, a default route, loopback up, and /etc/hosts naming it', async () => {
    const script = [
      'grep -o "eth0" /proc/net/dev',
      'tail -1 /etc/hosts',
      'grep -c "^eth0[[:space:]]00000000[[:space:]]0100590A" /proc/net/route',
      // loopback is up: a server on 127.0.0.1 answers
      'mkdir /w && echo lo-ok > /w/i && (httpd -f -p 127.0.0.1:8080 -h /w &) && sleep 0.3 && wget -q -O - http://127.0.0.1:8080/i',
    ].join('; ');
    const res = await ok('run', '--rm', '--network', 'bridge', '--hostname', 'bridged', img, 'sh', '-c', script);
    const [iface, hosts, route, lo] = res.stdout.trim().split('\n');
    assert.equal(iface, 'eth0');
    assert.match(hosts!, /^10\.89\.\d+\.\d+\tbridged$/);
    assert.equal(route, '1', 'default route via 10.89.0.1');
    assert.equal(lo, 'lo-ok');
  });

  test('a server in a detached container answers the host at its address; rm -f leaves nothing', async () => {
    const id = (await ok('run', '-d', '--network', 'bridge', img, 'sh', '-c', 'mkdir /www && echo hello-bridge > /www/index.html && httpd -f -p 80 -h /www')).stdout.trim();
    const net = network(id);
    const address = net.ips[0]!.address.split('/')[0]!;
    const hostVeth = net.interfaces.find((i) => !i.sandbox && i.name.startsWith('veth'))?.name;
    assert.ok(hostVeth && hostLinks().includes(hostVeth), 'a host-side veth');
    assert.equal(leasesOf(id).length, 1);
    const body = await until('the server to answer', async () => httpGet(`http://${address}:80/`).catch(() => undefined));
    assert.equal(body, 'hello-bridge\n');
    await ok('rm', '-f', id);
    await assertDetached(id, hostVeth);
  });

  test('a detached container that exits hands its network back; start attaches it again', async () => {
    const id = (await ok('run', '-d', '--network', 'bridge', img, 'sh', '-c', 'sleep 0.3')).stdout.trim();
    const hostVeth = network(id).interfaces.find((i) => !i.sandbox && i.name.startsWith('veth'))?.name;
    await ok('wait', id);
    // conmon's exit command releases it.
    await until('the exit command to release the network', () => leasesOf(id).length === 0 && !existsSync(join(root, 'run', 'netns', id.slice(0, 16))));
    await assertDetached(id, hostVeth);
    await ok('start', id);
    assert.equal(leasesOf(id).length, 1, 'attached again');
    await ok('wait', id);
    await ok('rm', id);
    await assertDetached(id);
  });

  test('run --rm in the foreground leaves nothing; so does rm after skiff was killed mid-run', async () => {
    const res = await ok('run', '--rm', '--network', 'bridge', '--cidfile', join(root, 'cid'), img, 'true');
    assert.equal(res.stdout, '');
    await assertDetached(readFileSync(join(root, 'cid'), 'utf8'));

    const { child } = spawnCli(['--root', root, 'run', '--network', 'bridge', '--name', 'killed', img, 'sleep', '30']);
    const exited = new Promise((r) => child.once('exit', r));
    const id = await until('the container to run', async () => {
      const out = (await sk('ps', '--filter', 'name=killed', '-q', '--no-trunc')).stdout.trim();
      return out && leasesOf(out).length === 1 ? out : undefined;
    });
    child.kill('SIGKILL');
    await exited;
    await sleep(100);
    await ok('rm', '-f', 'killed');
    await assertDetached(id);
  });

  test('--ip asks for the address; a taken or out-of-range one, or --ip without the bridge, is a clear error', async () => {
    const id = (await ok('run', '-d', '--ip', '10.89.200.7', img, 'sleep', '30')).stdout.trim();
    assert.equal(network(id).ips[0]!.address, '10.89.200.7/16');
    assert.match((await ok('exec', id, 'cat', '/etc/hosts')).stdout, /\n10\.89\.200\.7\t[0-9a-f]{12}\n/);
    let r = await sk('run', '--rm', '--ip', '10.89.200.7', img, 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /requested IP address 10\.89\.200\.7 is not available/);
    r = await sk('run', '--rm', '--ip', '10.90.0.1', img, 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /10\.90\.0\.1/);
    r = await sk('run', '--rm', '--network', 'none', '--ip', '10.89.0.9', img, 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /--ip needs a bridge network/);
    await ok('rm', '-f', id);
    await assertDetached(id);
  });

  test('--network container:NAME shares a running container\'s network (bridged or not), its name and /etc files', async () => {
    const serve = 'mkdir /w && echo shared-net > /w/i && httpd -f -p 127.0.0.1:8080 -h /w';
    for (const mode of ['bridge', 'none']) {
      const target = (await ok('run', '-d', '--network', mode, '--name', `srv-${mode}`, img, 'sh', '-c', serve)).stdout.trim();
      const out = await until('the shared loopback to answer', async () => {
        const r = await sk('run', '--rm', '--network', `container:srv-${mode}`, img, 'sh', '-c', 'wget -q -O - http://127.0.0.1:8080/i && cat /etc/hostname && (grep -c eth0 /proc/net/dev || true)');
        return r.code === 0 ? r.stdout : undefined;
      });
      assert.equal(out, `shared-net\n${target.slice(0, 12)}\n${mode === 'bridge' ? 1 : 0}\n`);
      await ok('stop', '-t', '0', `srv-${mode}`);
      const r = await sk('run', '--rm', '--network', `container:srv-${mode}`, img, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, new RegExp(`cannot join the network of container srv-${mode}: it is not running`));
      await ok('rm', `srv-${mode}`);
      await assertDetached(target);
    }
    let r = await sk('run', '--rm', '--network', 'container:nosuch', img, 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no such container: nosuch/);
    r = await sk('run', '--rm', '--network', 'bogus', img, 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /network bogus not found/);
  });

  test('a container whose skiff was killed gives its network back at the next command once it exits', async () => {
    const { child } = spawnCli(['--root', root, 'run', '--network', 'bridge', '-p', '80', '--name', 'orphaned', img, 'sleep', '1']);
    const exited = new Promise((r) => child.once('exit', r));
    const id = await until('the container to run', async () => {
      const out = (await sk('ps', '--filter', 'name=orphaned', '-q', '--no-trunc')).stdout.trim();
      return out && leasesOf(out).length === 1 ? out : undefined;
    });
    child.kill('SIGKILL');
    await exited;
    assert.equal(leasesOf(id).length, 1, 'still attached while it runs');
    // The container ends on its own; nobody is left to hand its network back but the next command.
    await until('the container to exit', async () => ((await ok('ps', '-a', '--filter', 'name=orphaned', '--format', '{{.State}}')).stdout.trim() === 'exited' ? true : undefined));
    await assertDetached(id);
    await ok('rm', 'orphaned');
  });

  test('50 run --rm -p cycles leave no lease, veth, rule or namespace behind', async () => {
    const nat = () => execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('name: \\"skiff\\"')).length;
    const leases = () => (existsSync(join(IPAM_DIR, 'skiff')) ? readdirSync(join(IPAM_DIR, 'skiff')).filter((f) => /^\d/.test(f)).length : 0);
    const veths = () => hostLinks().filter((n) => n.startsWith('veth')).length;
    const before = { nat: nat(), leases: leases(), veths: veths() };
    for (let i = 0; i < 50; i++) {
      const r = await sk('run', '--rm', '-p', '80', img, 'true');
      assert.equal(r.code, 0, `cycle ${i}: ${r.stderr}`);
    }
    // Veths go with their namespaces, in the background: give the kernel a moment.
    await until('the last veths to go', () => veths() <= before.veths).catch(() => {});
    assert.deepEqual({ nat: nat(), leases: leases(), veths: veths() }, before);
    assert.deepEqual(readdirSync(join(root, 'run', 'netns')), []);
  });

  describe('published ports', () => {
    const SERVE = 'mkdir -p /www && echo hello-published > /www/index.html && httpd -f -p 80 -h /www';
    let web: string;

    before(async () => {
      await pushImage(reg.url, 'net/exposing', 'latest', { layers: [{ tar: busyboxLayer() }], config: { config: { ExposedPorts: { '80/tcp': {} } } } });
    });

    test('-p 127.0.0.1:PORT:80 and -p 80 answer on the host loopback; port and ps show both', async () => {
      const fixed = await freePort();
      const id = (await ok('run', '-d', '--name', 'pub', '-p', `127.0.0.1:${fixed}:80`, '-p', '80', img, 'sh', '-c', SERVE)).stdout.trim();
      web = id;
      assert.equal(await until('the fixed port to answer', () => httpGet(`http://127.0.0.1:${fixed}/`).catch(() => undefined)), 'hello-published\n');
      const listed = (await ok('port', 'pub')).stdout.trim().split('\n');
      assert.equal(listed[0], `80/tcp -> 127.0.0.1:${fixed}`);
      const chosen = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(listed[1]!);
      assert.ok(chosen, listed.join('\n'));
      assert.notEqual(Number(chosen[1]), fixed);
      assert.equal(await httpGet(`http://127.0.0.1:${chosen[1]}/`), 'hello-published\n');
      assert.equal((await ok('port', 'pub', '80/tcp')).stdout, `127.0.0.1:${fixed}\n0.0.0.0:${chosen[1]}\n`);
      const ports = (await ok('ps', '--filter', 'name=^pub$', '--format', '{{.Ports}}')).stdout.trim();
      assert.equal(ports, `127.0.0.1:${fixed}->80/tcp, 0.0.0.0:${chosen[1]}->80/tcp`);
      assert.ok(iptablesMentioning(id).length > 0, 'portmap rules while it runs');
      const settings = JSON.parse((await ok('inspect', '-f', '{{json .NetworkSettings}}', 'pub')).stdout) as { IPAddress: string; Ports: Record<string, { HostIp: string; HostPort: string }[]> };
      assert.match(settings.IPAddress, /^10\.89\.\d+\.\d+$/);
      assert.deepEqual(settings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(fixed) }, { HostIp: '0.0.0.0', HostPort: chosen[1] }]);
    });

    test('a host port in use, by a listener or by another container, is a clear error', async () => {
      const listener = createServer().listen(0, '127.0.0.1');
      await new Promise((r) => listener.once('listening', r));
      const busy = (listener.address() as { port: number }).port;
      try {
        let r = await sk('run', '--rm', '-p', `127.0.0.1:${busy}:80`, img, 'true');
        assert.equal(r.code, 125);
        assert.match(r.stderr, new RegExp(`cannot publish 127\\.0\\.0\\.1:${busy}/tcp: the host port is already in use`));
        const taken = /-> (127\.0\.0\.1:\d+)/.exec((await ok('port', 'pub')).stdout)![1]!;
        r = await sk('run', '--rm', '-p', `${taken}:80`, img, 'true');
        assert.equal(r.code, 125);
        assert.match(r.stderr, /another container publishes that host port/);
      } finally {
        listener.close();
      }
    });

    test('-P publishes what the image exposes; -p with --network none is refused', async () => {
      const id = (await ok('run', '-d', '-P', `${reg.host}/net/exposing:latest`, 'sh', '-c', SERVE)).stdout.trim();
      const line = (await ok('port', id)).stdout.trim();
      const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(line);
      assert.ok(m, line);
      assert.equal(await until('the exposed port to answer', () => httpGet(`http://127.0.0.1:${m[1]}/`).catch(() => undefined)), 'hello-published\n');
      await ok('rm', '-f', id);
      await assertDetached(id);
      const r = await sk('run', '--rm', '--network', 'none', '-p', '80', img, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /need a bridge network/);
    });

    test('rm -f takes the port rules down with the rest', async () => {
      await ok('rm', '-f', web);
      await assertDetached(web);
    });
  });

  test('everything removed: no container left', async () => {
    assertNoContainers(root);
  });
});
