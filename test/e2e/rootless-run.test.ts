// Rootless containers: an ordinary user runs, detaches, logs, execs into, stops and removes
// containers; their root is the image's tree with its ids; a process running as uid 1000
// inside can write its own files; the default network is slirp4netns, and a published port
// answers on the host's loopback. Nothing is left after rm.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxLayer } from '../helpers/busybox.js';
import { freePort, httpGet } from '../helpers/net.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { asImageSees, rootlessUser, type RootlessUser } from '../helpers/rootless-user.js';
import { makeTar } from '../helpers/tar-writer.js';
import { layer1, layer2, layer3 } from '../helpers/tree-image.js';
import { asObject, f, readTree } from '../helpers/tree.js';
import { until } from '../helpers/until.js';

describe('rootless containers', () => {
  let reg: RunningRegistry;
  let user: RootlessUser;
  let bb: string;
  let tree: string;
  let layered: string;
  const ok = async (...args: string[]) => {
    const r = await user.sk(...args);
    if (r.code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r;
  };
  /** The user's namespace holder: its mount namespace has the containers' roots. */
  const holder = () => Number(readFileSync(join(user.env.XDG_RUNTIME_DIR!, 'skiff', 'userns.pid'), 'utf8').split(' ')[0]);

  before(async () => {
    reg = await startRegistry();
    user = rootlessUser();
    await pushImage(reg.url, 'rootless/busybox', 'latest', { layers: [{ tar: busyboxLayer() }], config: { config: { Cmd: ['sh'] } } });
    await pushImage(reg.url, 'rootless/tree', 'v1', {
      layers: [{ tar: makeTar(layer1), compression: 'gzip' }, { tar: makeTar(layer2), compression: 'none' }, { tar: makeTar(layer3), compression: 'gzip' }],
      config: { config: { Cmd: ['/bin/sh'] } },
    });
    await pushImage(reg.url, 'rootless/layered', 'v1', {
      layers: [
        { tar: busyboxLayer() },
        { tar: makeTar([{ path: 'data/', type: 'dir' }, { path: 'data/gone', content: 'x' }, { path: 'data/kept', content: 'k' }, { path: 'opq/', type: 'dir' }, { path: 'opq/old', content: 'o' }, { path: 'own', content: 'u', uid: 1000, gid: 1000 }]) },
        { tar: makeTar([{ path: 'data/.wh.gone', content: '' }, { path: 'opq/.wh..wh..opq', content: '' }, { path: 'opq/new', content: 'n' }]) },
      ],
    });
    layered = `${reg.host}/rootless/layered:v1`;
    bb = `${reg.host}/rootless/busybox:latest`;
    tree = `${reg.host}/rootless/tree:v1`;
    await ok('pull', '-q', bb);
    await ok('pull', '-q', tree);
    await ok('pull', '-q', layered);
  });
  after(async () => {
    user?.cleanup();
    await reg?.stop();
  });

  test("a created container's root is the image's tree, with the image's ids", async () => {
    const id = (await ok('create', tree)).stdout.trim();
    try {
      const root = `/proc/${holder()}/root${user.dataDir}/containers/${id}/rootfs`;
      const { seen, expected } = asImageSees(user, asObject(readTree(root)));
      // Plus the mount points for the files runc binds onto /etc, where the image has none.
      for (const name of ['hosts', 'resolv.conf']) expected[`etc/${name}`] = f('', { mode: 0o644 });
      assert.deepEqual(seen, expected);
    } finally {
      await ok('rm', id);
    }
  });

  // A FUSE mount made in a user namespace is closed to the host's root: the container looks itself.
  for (const driver of ['overlay', 'fuse-overlayfs']) {
    test(`whiteouts, opaque dirs and owners as the container sees them (${driver})`, async () => {
      const env = driver === 'fuse-overlayfs' ? { SKIFF_ROOTLESS_OVERLAY: driver } : {};
      const script = 'grep -o " / [a-z.-]* " /proc/mounts; ls -A /data; echo --; ls -A /opq; stat -c %u:%g /own; echo w > /w && cat /w';
      const r = await user.skWith(env, 'run', '--rm', layered, 'sh', '-c', script);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, ` / ${driver === 'overlay' ? 'overlay' : 'fuse.fuse-overlayfs'} \nkept\n--\nnew\n1000:1000\nw\n`);
    });
  }

  test('run: root inside, ids as the image has them; uid 1000 writes its own files', async () => {
    assert.equal((await ok('run', '--rm', bb, 'sh', '-c', 'id -u; stat -c %u:%g /bin/busybox')).stdout, '0\n0:0\n');
    const mine = await ok('run', '--rm', '-u', '1000:1000', bb, 'sh', '-c', 'echo x > /tmp/mine && stat -c %u:%g /tmp/mine && cat /tmp/mine');
    assert.equal(mine.stdout, '1000:1000\nx\n');
    const exit = await user.sk('run', '--rm', bb, 'sh', '-c', 'exit 3');
    assert.equal(exit.code, 3);
    // -v after the command is run's --volume, not skiff's --version (which needs no namespace).
    const bound = await user.sk('run', '--rm', '-v', `${user.env.HOME}:/h:ro`, bb, 'sh', '-c', 'ls -d /h && touch /h/x');
    assert.equal(bound.code, 1);
    assert.equal(bound.stdout, '/h\n');
    assert.match(bound.stderr, /Read-only file system/);
    assert.match((await ok('-v')).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('-d, logs, exec, stop, rm; a published port answers on the host loopback; nothing is left', async () => {
    const port = await freePort();
    const serve = 'mkdir /w && echo rootless-web > /w/index.html && echo serving && httpd -f -p 80 -h /w';
    const id = (await ok('run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, bb, 'sh', '-c', serve)).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(await until('the server to answer', () => httpGet(`http://127.0.0.1:${port}/`).catch(() => undefined)), 'rootless-web\n');
    assert.equal((await ok('port', 'web')).stdout, `80/tcp -> 127.0.0.1:${port}\n`);
    assert.match((await ok('ps', '--format', '{{.Names}} {{.Status}}')).stdout, /^web Up /);
    assert.equal((await ok('logs', 'web')).stdout, 'serving\n');
    assert.equal((await ok('exec', 'web', 'sh', '-c', 'cat /w/index.html; id -u')).stdout, 'rootless-web\n0\n');
    assert.equal((await ok('stop', '-t', '1', 'web')).stdout, 'web\n');
    assert.match((await ok('ps', '-a', '--format', '{{.Status}}')).stdout, /^Exited \(\d+\)/);
    await ok('rm', 'web');
    assert.equal((await ok('ps', '-aq')).stdout, '');
    const mounts = readFileSync(`/proc/${holder()}/mountinfo`, 'utf8').split('\n').filter((l) => l.includes(user.dataDir));
    assert.deepEqual(mounts, [], 'no mount left in the user namespace');
    await until('slirp4netns to go', () => (processesOf(user.uid, 'slirp4netns').length === 0 ? true : undefined));
    // conmon outlives its container by its exit command (a skiff cleanup), which rm may beat.
    await until('conmon to go', () => (processesOf(user.uid, 'conmon').length === 0 ? true : undefined));
  });

  test('kill, wait, restart and inspect', async () => {
    await ok('run', '-d', '--name', 'k', bb, 'sleep', '30');
    assert.equal((await ok('kill', 'k')).stdout, 'k\n');
    assert.equal((await ok('wait', 'k')).stdout, '137\n');
    await ok('restart', 'k');
    assert.equal((await ok('inspect', '-f', '{{.State.Status}} {{.NetworkSettings.IPAddress}}', 'k')).stdout, 'running 10.0.2.100\n');
    await ok('rm', '-f', 'k');
    assert.equal((await ok('ps', '-aq')).stdout, '');
  });

  test('kill -9 of a running skiff and its runc; the next ps and rm -f leave nothing', async () => {
    const c = user.command('run', '--name', 'doomed', '-p', '127.0.0.1::80', bb, 'sleep', '30');
    // Its own process group: the launcher, skiff in the namespace, runc, the container.
    const child = spawn(c.file, c.args, { env: c.env, cwd: c.cwd, stdio: 'ignore', detached: true });
    await until('the container to run', async () => ((await user.sk('ps', '-q', '-f', 'name=doomed')).stdout.trim() || undefined), 10000);
    process.kill(-child.pid!, 'SIGKILL');
    assert.match((await ok('ps', '-a', '--format', '{{.Names}}')).stdout, /^doomed$/m);
    // The container may outlive its skiff (as with root): rm -f takes it and its network down.
    await ok('rm', '-f', 'doomed');
    await until('slirp4netns to be stopped', () => (processesOf(user.uid, 'slirp4netns').length === 0 ? true : undefined));
    assert.equal((await ok('ps', '-aq')).stdout, '');
    assert.deepEqual(readdirSync(join(user.dataDir, 'containers')), []);
    assert.deepEqual(readFileSync(`/proc/${holder()}/mountinfo`, 'utf8').split('\n').filter((l) => l.includes(user.dataDir)), []);
  });

  test('a host port below the unprivileged start is a clear error', async () => {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    assert.ok(start > 80, `this check needs ip_unprivileged_port_start above 80 (it is ${start})`);
    const r = await user.sk('run', '--rm', '-p', '80:80', bb, 'true');
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `skiff: cannot publish 0.0.0.0:80/tcp: host ports below ${start} need privileges this user lacks; publish on a higher host port\n`);
  });

  test("slirp4netns reaches out: a server on the host's own address answers; --network host sees the host's interfaces", async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    assert.ok(address, 'this check needs a non-loopback IPv4 address on the host');
    const server = createServer((_req, res) => res.end('from-the-host\n')).listen(0, '0.0.0.0');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      assert.equal((await ok('run', '--rm', bb, 'wget', '-q', '-O', '-', `http://${address}:${port}/`)).stdout, 'from-the-host\n');
    } finally {
      server.close();
    }
    const hostLinks = readdirSync('/sys/class/net').sort().join('\n');
    assert.equal((await ok('run', '--rm', '--network', 'host', bb, 'sh', '-c', 'ls /sys/class/net')).stdout.trim(), hostLinks);
  });

  test('-it: a terminal from script(1)', () => {
    const c = user.command('run', '--rm', '-it', bb, 'sh', '-c', 'tty && echo tty-ok');
    const line = [c.file, ...c.args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], { env: c.env, cwd: c.cwd, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+\r?\ntty-ok/);
  });

  test('--network none has only loopback; user networks are a clear error rootless', async () => {
    assert.equal((await ok('run', '--rm', '--network', 'none', bb, 'sh', '-c', 'ls /sys/class/net')).stdout, 'lo\n');
    const r = await user.sk('network', 'create', 'mine');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /user networks are not available rootless yet/);
  });
});

function processesOf(uid: number, comm: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (statSync(`/proc/${pid}`).uid === uid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}
