// `run` flags as docker users expect them, against real runc and conmon: Entrypoint/Cmd, env,
// working directory, users and groups, hostname, exit codes, mounts, read-only roots,
// capabilities, networks, pull policies, platforms, labels, cidfiles, names, --rm, -i, -t, -d.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/store.js';
import { busyboxLayer } from '../helpers/busybox.js';
import { type CliResult, SKIFF_BIN, runCli, spawnCli, tempRoot } from '../helpers/cli.js';
import { assertNoContainers, mountsUnder } from '../helpers/container-check.js';
import { pushImage, pushIndex, type ImageInput, type LayerInput } from '../helpers/push.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTar, type TarSpec } from '../helpers/tar-writer.js';
import { until } from '../helpers/until.js';

// Applets the shared busybox layer does not link.
const MORE_APPLETS = ['hostname', 'touch', 'grep', 'pwd', 'env', 'mkdir', 'tty', 'wc', 'head', 'cut', 'stat', 'find', 'readlink', 'tr', 'sort', 'kill'];

function baseLayers(): LayerInput[] {
  return [
    { tar: busyboxLayer() },
    { tar: makeTar(MORE_APPLETS.map((a): TarSpec => ({ path: `bin/${a}`, type: 'symlink', linkpath: 'busybox' }))) },
  ];
}

const APP_PATH = '/usr/local/bin:/usr/bin:/bin';
const appLayer: TarSpec[] = [
  { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/srv/app:/bin/sh\n' },
  { path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n' },
  { path: 'srv/', type: 'dir' },
  { path: 'srv/app/', type: 'dir', uid: 1000, gid: 1000 },
  { path: 'srv/app/marker', content: 'app-marker\n' },
];

function appImage(workdir: string): ImageInput {
  return {
    layers: [...baseLayers(), { tar: makeTar(appLayer) }],
    config: {
      config: {
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: ['echo default $GREETING'],
        Env: ['GREETING=hi', `PATH=${APP_PATH}`],
        WorkingDir: workdir,
        User: 'app',
        Labels: { 'org.example.from': 'image', shared: 'image' },
      },
    },
  };
}

function markerImage(marker: string, platform?: ImageInput['platform']): ImageInput {
  return {
    ...(platform ? { platform } : {}),
    layers: [...baseLayers(), { tar: makeTar([{ path: 'marker', content: marker }]) }],
    config: { config: { Cmd: ['/bin/sh'] } },
  };
}

// docker's (and containerd 1.x's) 14 default capabilities, by number.
const DEFAULT_CAP_NUMBERS = {
  CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  NET_BIND_SERVICE: 10, NET_RAW: 13, SYS_CHROOT: 18, MKNOD: 27, AUDIT_WRITE: 29, SETFCAP: 31,
};
const DEFAULT_CAP_MASK = Object.values(DEFAULT_CAP_NUMBERS).reduce((m, n) => m | (1n << BigInt(n)), 0n);
const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');

function capEff(status: string): string {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  assert.ok(m, status);
  return m[1]!;
}

function netDevNames(text: string): string[] {
  return text.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean).sort();
}

/** until() with these tests' 10 s bound. */
const waitFor = <T>(what: string, probe: () => T | undefined | false): Promise<T> => until(what, probe, 10_000);

describe('run: flags as docker users expect them', () => {
  let reg: RunningRegistry;
  const { root, cleanup } = tempRoot();
  const tmp = mkdtempSync(join(tmpdir(), 'skiff-runflags-'));
  let BB = '';
  let APP = '';
  let APP_NOWD = '';

  const cli = (...args: string[]): Promise<CliResult> => runCli(['--root', root, ...args]);
  const run = (...args: string[]): Promise<CliResult> => runCli(['--root', root, 'run', '--rm', ...args]);
  const ok = (r: CliResult): string => {
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  const runcState = (id: string): { status: string; pid: number } | undefined => {
    try {
      return JSON.parse(execFileSync('runc', ['--root', join(root, 'run', 'runc'), 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      return undefined;
    }
  };
  /** What a failed run must not leave: records, container directories, runc state. */
  const footprint = (): { records: string[]; dirs: string[]; runc: string[] } => {
    const store = openStore(root);
    try {
      const ls = (d: string) => (existsSync(d) ? readdirSync(d).sort() : []);
      return { records: store.containers.list().map((c) => c.id).sort(), dirs: ls(join(root, 'containers')), runc: ls(join(root, 'run', 'runc')) };
    } finally {
      store.close();
    }
  };
  const assertGone = (id: string): void => {
    const store = openStore(root);
    try {
      assert.equal(store.containers.get(id), undefined, 'record left');
    } finally {
      store.close();
    }
    assert.ok(!existsSync(join(root, 'containers', id)), 'container directory left');
    assert.ok(!existsSync(join(root, 'run', 'runc', id)), 'runc state left');
    assert.deepEqual(mountsUnder(join(root, 'containers', id)), [], 'mounts left');
  };

  before(async () => {
    reg = await startRegistry();
    await pushImage(reg.url, 'rf/busybox', 'latest', { layers: baseLayers(), config: { config: { Cmd: ['/bin/sh'] } } });
    await pushImage(reg.url, 'rf/app', 'v1', appImage('/srv/app'));
    await pushImage(reg.url, 'rf/app', 'nowd', appImage('/srv/missing/deep'));
    BB = `${reg.host}/rf/busybox:latest`;
    APP = `${reg.host}/rf/app:v1`;
    APP_NOWD = `${reg.host}/rf/app:nowd`;
    for (const ref of [BB, APP, APP_NOWD]) ok(await cli('pull', ref));
  });
  after(async () => {
    await reg?.stop();
    cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('command', () => {
    test("the image's Entrypoint + Cmd", async () => {
      assert.equal(ok(await run(APP)), 'default hi\n');
    });
    test('arguments replace Cmd, keep the Entrypoint', async () => {
      assert.equal(ok(await run(APP, 'echo replaced $GREETING')), 'replaced hi\n');
    });
    test('--entrypoint replaces the Entrypoint and drops the Cmd', async () => {
      assert.equal(ok(await run('--entrypoint', '/bin/echo', APP)), '\n');
      assert.equal(ok(await run('--entrypoint', '/bin/echo', APP, 'a', 'b')), 'a b\n');
    });
    test("--entrypoint '' runs the arguments alone", async () => {
      assert.equal(ok(await run('--entrypoint', '', APP, '/bin/echo', 'x', '$GREETING')), 'x $GREETING\n');
    });
    test("--entrypoint '' and no arguments: no command, 125", async () => {
      const before = footprint();
      const r = await run('--entrypoint', '', APP);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /no command specified/);
      assert.deepEqual(footprint(), before);
    });
  });

  describe('environment', () => {
    test("the image's Env, with its PATH and HOSTNAME", async () => {
      const out = ok(await run('--hostname', 'envhost', APP, 'echo "$GREETING|$PATH|$HOSTNAME|$HOME"'));
      assert.equal(out, `hi|${APP_PATH}|envhost|/srv/app\n`);
    });
    test('-e overrides, a bare -e K takes the caller\'s value or is left out, --env-file skips comments and blanks', async () => {
      const envFile = join(tmp, 'env.list');
      writeFileSync(envFile, '# a comment\nFILEVAR=from file with spaces\n\n   \nFILEBARE\n  # indented comment\nGREETING=file-loses\nEMPTY=\n');
      const r = await runCli(
        ['--root', root, 'run', '--rm', '-e', 'GREETING=yo', '-e', 'FROMHOST', '-e', 'NOTSET', '-e', 'WITH=eq=sign', '--env-file', envFile, APP,
          'echo "$GREETING|$FROMHOST|${NOTSET-unset}|$FILEVAR|$FILEBARE|${EMPTY-unset}|$WITH"; env | grep -c "^GREETING="'],
        { FROMHOST: 'caller', FILEBARE: 'bare-from-caller' },
      );
      assert.equal(ok(r), 'yo|caller|unset|from file with spaces|bare-from-caller||eq=sign\n1\n');
    });
    test('a missing --env-file is a clear error, 125', async () => {
      const r = await run('--env-file', join(tmp, 'nope.env'), APP);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /env file .*nope\.env/);
    });
  });

  describe('working directory', () => {
    test("the image's WorkingDir, and -w", async () => {
      assert.equal(ok(await run(APP, 'pwd; cat marker')), '/srv/app\napp-marker\n');
      assert.equal(ok(await run('-w', '/tmp', APP, 'pwd')), '/tmp\n');
    });
    test('a WorkingDir or -w that does not exist is created', async () => {
      assert.equal(ok(await run(APP_NOWD, 'pwd')), '/srv/missing/deep\n');
      assert.equal(ok(await run('-w', '/new/dir', BB, 'pwd')), '/new/dir\n');
    });
    test('a WorkingDir or -w under /proc or /sys (the leaked-fd escape route) is an error, 125, nothing created', async () => {
      await pushImage(reg.url, 'rf/app', 'procwd', appImage('/proc/self/fd/7'));
      const hostile = `${reg.host}/rf/app:procwd`;
      const before = footprint();
      const r = await run(hostile, 'pwd');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /the image's working directory '\/proc\/self\/fd\/7' is invalid, it must not be under \/proc/);
      const w = await run('-w', '/sys/fs', BB, 'pwd');
      assert.equal(w.code, 125);
      assert.match(w.stderr, /'\/sys\/fs' is invalid, it must not be under \/sys/);
      assert.deepEqual(footprint(), before);
    });
    test('a relative -w is an error, 125', async () => {
      const before = footprint();
      const r = await run('-w', 'relative/dir', APP, 'pwd');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /working directory 'relative\/dir' is invalid, it needs to be an absolute path/);
      assert.deepEqual(footprint(), before);
    });
  });

  describe('user', () => {
    test("the image's User, with its groups from /etc/group", async () => {
      assert.equal(ok(await run(APP, 'id')), 'uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)\n');
    });
    test('-u 0, -u uid:gid, -u name', async () => {
      assert.equal(ok(await run('-u', '0', APP, 'id')), 'uid=0(root) gid=0(root) groups=0(root)\n');
      assert.equal(ok(await run('-u', '1234:5678', APP, 'id')), 'uid=1234 gid=5678 groups=5678\n');
      assert.equal(ok(await run('-u', 'nobody', APP, 'id')), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
      assert.equal(ok(await run('-u', 'app:extra', APP, 'id')), 'uid=1000(app) gid=2000(extra) groups=2000(extra)\n');
    });
    test('-u with an unknown name is a clear error, 125, nothing created', async () => {
      const before = footprint();
      const r = await run('-u', 'unknownname', APP, 'id');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /unable to find user unknownname/);
      assert.deepEqual(footprint(), before);
    });
  });

  describe('hostname and /etc files', () => {
    test('--hostname in /etc/hostname, hostname(1) and /etc/hosts', async () => {
      const out = ok(await run('--hostname', 'myhost', BB, 'sh', '-c', 'cat /etc/hostname; hostname; grep myhost /etc/hosts'));
      // On the default network the name is the container's address there; without one, 127.0.1.1.
      assert.match(out, /^myhost\nmyhost\n10\.89\.\d+\.\d+\tmyhost\n$/);
      const none = ok(await run('--network', 'none', '--hostname', 'myhost', BB, 'grep', 'myhost', '/etc/hosts'));
      assert.equal(none, '127.0.1.1\tmyhost\n');
    });
    test('the default hostname is the 12-hex ID prefix; /etc/hosts has localhost', async () => {
      const cid = join(tmp, 'hostname.cid');
      const out = ok(await run('--cidfile', cid, BB, 'sh', '-c', 'cat /etc/hostname; hostname; echo $HOSTNAME; cat /etc/hosts'));
      const id = readFileSync(cid, 'utf8');
      assert.match(id, /^[0-9a-f]{64}$/);
      const [a, b, c, ...hosts] = out.split('\n');
      assert.deepEqual([a, b, c], [id.slice(0, 12), id.slice(0, 12), id.slice(0, 12)]);
      assert.match(hosts.join('\n'), /^127\.0\.0\.1\s+localhost$/m);
      assert.match(hosts.join('\n'), /^::1\s+localhost/m);
    });
    test('--dns, --dns-search and --add-host write resolv.conf and hosts; bad values are 125', async () => {
      const out = ok(await run('--dns', '10.0.0.53', '--dns-search', 'example.test', '--add-host', 'db:192.0.2.10', BB, 'sh', '-c', 'cat /etc/resolv.conf; tail -1 /etc/hosts'));
      assert.equal(out, 'nameserver 10.0.0.53\nsearch example.test\n192.0.2.10\tdb\n');
      let r = await run('--dns', 'not-an-ip', BB, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /invalid --dns "not-an-ip": not an IP address/);
      r = await run('--add-host', 'nocolon', BB, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /invalid --add-host "nocolon": expected host:ip/);
    });
  });

  describe('exit codes', () => {
    test("the command's own exit code", async () => {
      const r = await run(BB, 'sh', '-c', 'echo out; echo err >&2; exit 3');
      assert.equal(r.code, 3);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
    });
    test('a missing command: 127, executable file not found; --rm leaves nothing', async () => {
      const before = footprint();
      const r = await run(BB, 'nosuchcmd');
      assert.equal(r.code, 127);
      assert.match(r.stderr, /"nosuchcmd": executable file not found in \$PATH/);
      const r2 = await run(BB, '/no/such/path');
      assert.equal(r2.code, 127);
      assert.match(r2.stderr, /no such file or directory/);
      assert.deepEqual(footprint(), before);
    });
    test('a file that is not executable: 126', async () => {
      const r = await run(BB, '/etc/passwd');
      assert.equal(r.code, 126);
      assert.match(r.stderr, /permission denied/);
    });
    test('a container killed from outside: 137', async () => {
      const cid = join(tmp, 'kill.cid');
      const running = runCli(['--root', root, 'run', '--rm', '--cidfile', cid, '--name', 'killme', BB, 'sleep', '30']);
      const id = await waitFor('cidfile', () => existsSync(cid) && readFileSync(cid, 'utf8'));
      await waitFor('container running', () => runcState(id)?.status === 'running');
      const t0 = Date.now();
      const k = await cli('kill', 'killme');
      assert.equal(k.code, 0, k.stderr);
      const r = await running;
      assert.equal(r.code, 137, r.stderr);
      assert.ok(Date.now() - t0 < 5000);
      assertGone(id);
    });
  });

  describe('mounts', () => {
    test('-v host dir, read-write: what the container writes is on the host', async () => {
      const dir = mkdtempSync(join(tmp, 'vol-'));
      writeFileSync(join(dir, 'from-host'), 'host\n');
      ok(await run('-v', `${dir}:/data`, BB, 'sh', '-c', 'cat /data/from-host && echo inside > /data/f'));
      assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'inside\n');
    });
    test('-v …:ro and --mount …,readonly: reads work, writes fail', async () => {
      const dir = mkdtempSync(join(tmp, 'ro-'));
      writeFileSync(join(dir, 'f'), 'ro-content\n');
      let r = await run('-v', `${dir}:/data:ro`, BB, 'sh', '-c', 'cat /data/f; echo x > /data/g');
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, 'ro-content\n');
      assert.match(r.stderr, /Read-only file system/);
      r = await run('--mount', `type=bind,source=${dir},target=/m,readonly`, BB, 'sh', '-c', 'cat /m/f; touch /m/g');
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, 'ro-content\n');
      assert.match(r.stderr, /Read-only file system/);
      assert.deepEqual(readdirSync(dir), ['f']);
    });
    test('--mount type=tmpfs and --tmpfs with options are tmpfs mounts in /proc/mounts', async () => {
      const out = ok(await run('--mount', 'type=tmpfs,target=/scratch', '--tmpfs', '/run:size=1m', BB, 'sh', '-c', 'grep -E " /(scratch|run) " /proc/mounts; echo w > /scratch/f && cat /scratch/f'));
      const lines = out.trim().split('\n');
      const scratch = lines.find((l) => l.startsWith('tmpfs /scratch tmpfs '));
      const runM = lines.find((l) => l.startsWith('tmpfs /run tmpfs '));
      assert.ok(scratch, out);
      assert.ok(runM, out);
      assert.match(scratch, /\brw,nosuid,nodev,noexec\b/);
      assert.match(runM, /size=1024k/);
      assert.equal(lines.at(-1), 'w');
    });
    test('a missing -v source directory is created', async () => {
      const src = join(tmp, 'created', 'by', 'run');
      ok(await run('-v', `${src}:/n`, BB, 'sh', '-c', 'echo hi > /n/file'));
      assert.ok(statSync(src).isDirectory());
      assert.equal(readFileSync(join(src, 'file'), 'utf8'), 'hi\n');
    });
    test('-v of a single file binds the file; --mount of a missing source is refused, and not created', async () => {
      const file = join(tmp, 'single-file');
      writeFileSync(file, 'just me\n');
      assert.equal(ok(await run('-v', `${file}:/etc/single:ro`, BB, 'cat', '/etc/single')), 'just me\n');
      const before = footprint();
      const missing = join(tmp, 'not', 'there');
      const r = await run('--mount', `type=bind,source=${missing},target=/x`, BB, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /bind source path does not exist/);
      assert.ok(!existsSync(missing));
      assert.deepEqual(footprint(), before);
    });
    test('-v name:/x (a named volume) is a clear error, 125', async () => {
      const before = footprint();
      const r = await run('-v', 'myvol:/x', BB, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /named volumes are not supported/);
      assert.deepEqual(footprint(), before);
    });
    test('--read-only: the root and /tmp are not writable, a --tmpfs is', async () => {
      let r = await run('--read-only', BB, 'sh', '-c', 'touch /x; echo "root=$?"; touch /tmp/y; echo "tmp=$?"');
      assert.equal(r.stdout, 'root=1\ntmp=1\n');
      assert.match(r.stderr, /Read-only file system/);
      r = await run('--read-only', '--tmpfs', '/tmp', BB, 'sh', '-c', 'touch /x; echo "root=$?"; touch /tmp/y; echo "tmp=$?"');
      assert.equal(r.stdout, 'root=1\ntmp=0\n');
    });
  });

  describe('capabilities and devices', () => {
    test("default: docker's 14 capabilities", async () => {
      assert.equal(DEFAULT_CAP_MASK, 0xa80425fbn);
      assert.equal(capEff(ok(await run(BB, 'cat', '/proc/self/status'))), hex16(DEFAULT_CAP_MASK));
    });
    test('--cap-drop ALL, --cap-add NET_ADMIN', async () => {
      assert.equal(capEff(ok(await run('--cap-drop', 'ALL', BB, 'cat', '/proc/self/status'))), hex16(0n));
      assert.equal(capEff(ok(await run('--cap-add', 'NET_ADMIN', BB, 'cat', '/proc/self/status'))), hex16(DEFAULT_CAP_MASK | (1n << 12n)));
      assert.equal(capEff(ok(await run('--cap-drop', 'ALL', '--cap-add', 'cap_kill', BB, 'cat', '/proc/self/status'))), hex16(1n << 5n));
    });
    test('a non-root user has no effective capabilities', async () => {
      assert.equal(capEff(ok(await run('-u', '1000', BB, 'cat', '/proc/self/status'))), hex16(0n));
    });
    test("--privileged: every capability the host's bounding set allows, and the host's devices", async () => {
      const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
      const plain = ok(await run(BB, 'ls', '/dev')).split('\n').filter(Boolean);
      const priv = ok(await run('--privileged', BB, 'sh', '-c', 'cat /proc/self/status; echo ---; ls /dev')).split('---\n');
      assert.equal(capEff(priv[0]!), bounding);
      const devs = priv[1]!.split('\n').filter(Boolean);
      assert.ok(devs.length > plain.length, `${devs.join(' ')} vs ${plain.join(' ')}`);
      for (const d of plain) assert.ok(devs.includes(d), `${d} missing with --privileged`);
    });
  });

  describe('network', () => {
    test('--network none: only lo; the default network adds eth0', async () => {
      assert.deepEqual(netDevNames(ok(await run(BB, 'cat', '/proc/net/dev'))), ['eth0', 'lo']);
      assert.deepEqual(netDevNames(ok(await run('--network', 'none', BB, 'cat', '/proc/net/dev'))), ['lo']);
    });
    test("--network host: the host's interfaces", async () => {
      const host = netDevNames(readFileSync('/proc/net/dev', 'utf8'));
      assert.ok(host.length > 1);
      assert.deepEqual(netDevNames(ok(await run('--network', 'host', BB, 'cat', '/proc/net/dev'))), host);
    });
  });

  describe('images: pull policies and platforms', () => {
    test('--pull never with a missing image: 125, nothing pulled or created', async () => {
      await pushImage(reg.url, 'rf/never', 'latest', markerImage('never'));
      const before = footprint();
      const r = await run('--pull', 'never', `${reg.host}/rf/never:latest`, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /no such image/);
      assert.deepEqual(footprint(), before);
      assert.ok(!ok(await cli('images')).includes('rf/never'));
    });
    test('--pull missing (default) keeps the local image; --pull always gets the new one', async () => {
      const ref = `${reg.host}/rf/moving:latest`;
      await pushImage(reg.url, 'rf/moving', 'latest', markerImage('first'));
      let r = await run(ref, 'cat', '/marker');
      assert.equal(ok(r), 'first');
      assert.match(r.stderr, /Unable to find image/);
      await pushImage(reg.url, 'rf/moving', 'latest', markerImage('second'));
      r = await run(ref, 'cat', '/marker');
      assert.equal(ok(r), 'first');
      assert.doesNotMatch(r.stderr, /Unable to find image/);
      assert.equal(ok(await run('--pull', 'always', ref, 'cat', '/marker')), 'second');
      assert.equal(ok(await run(ref, 'cat', '/marker')), 'second');
    });
    test('--platform picks the matching image of an index; the default is the host platform', async () => {
      const host = process.arch === 'x64' ? 'amd64' : 'arm64';
      const other = host === 'amd64' ? 'arm64' : 'amd64';
      const plat = (arch: string) => ({ architecture: arch, os: 'linux', ...(arch === 'arm64' ? { variant: 'v8' } : {}) });
      // busybox is the host's: the "foreign" image still runs, its marker tells which was picked.
      const images = [{ img: markerImage('arm64', plat('arm64')) }, { img: markerImage('amd64', plat('amd64')) }, { img: markerImage('s390x', plat('s390x')) }];
      await pushIndex(reg.url, 'rf/multi', 'latest', images);
      const ref = `${reg.host}/rf/multi:latest`;
      assert.equal(ok(await run(ref, 'cat', '/marker')), host);
      // The local image is the host's: another --platform must not silently run it.
      let r = await run('--pull', 'never', '--platform', 'linux/s390x', ref, 'cat', '/marker');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /does not match the specified platform: wanted linux\/s390x, actual: linux\/(amd64|arm64\/v8)/);
      r = await run('--platform', 'linux/s390x', ref, 'cat', '/marker');
      assert.equal(ok(r), 's390x');
      assert.match(r.stderr, /Unable to find image/);
      assert.equal(ok(await run('--platform', `linux/${other}`, ref, 'cat', '/marker')), other);
      r = await run('--platform', `linux/${other}`, ref, 'cat', '/marker');
      assert.equal(ok(r), other);
      assert.doesNotMatch(r.stderr, /Unable to find image/);
      r = await run('--platform', 'linux/riscv64', ref, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /no image for platform linux\/riscv64/);
    });
  });

  describe('labels, cidfile, names', () => {
    test("-l labels over the image's, in inspect", async () => {
      ok(await cli('run', '--name', 'labelled', '-l', 'a=b', '-l', 'shared=cli', '-l', 'bare', APP, 'true'));
      const labels = JSON.parse(ok(await cli('inspect', '-f', '{{json .Config.Labels}}', 'labelled')));
      assert.deepEqual(labels, { 'org.example.from': 'image', shared: 'cli', a: 'b', bare: '' });
      ok(await cli('rm', 'labelled'));
    });
    test('--cidfile holds the ID; an existing cidfile is an error before anything is created', async () => {
      const cid = join(tmp, 'c.cid');
      ok(await cli('run', '--cidfile', cid, '--name', 'withcid', BB, 'true'));
      const id = readFileSync(cid, 'utf8');
      assert.match(id, /^[0-9a-f]{64}$/);
      assert.equal(ok(await cli('inspect', '-f', '{{.Id}}', 'withcid')).trim(), id);
      const before = footprint();
      const r = await cli('run', '--cidfile', cid, BB, 'true');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /container ID file .*c\.cid already exists/);
      assert.deepEqual(footprint(), before);
      assert.equal(readFileSync(cid, 'utf8'), id);
      ok(await cli('rm', 'withcid'));
    });
    test('--name shows in ps; a second run with the same name is a clear error, 125', async () => {
      const id = ok(await cli('run', '-d', '--name', 'named', BB, 'sleep', '30')).trim();
      try {
        assert.match(ok(await cli('ps', '--format', '{{.Names}}')), /^named$/m);
        const before = footprint();
        const r = await cli('run', '--name', 'named', BB, 'true');
        assert.equal(r.code, 125);
        assert.match(r.stderr, /the container name "named" is already in use/);
        assert.deepEqual(footprint(), before);
      } finally {
        ok(await cli('rm', '-f', id));
      }
    });
    test('two runs with the same name at once: exactly one wins', async () => {
      const a = spawnCli(['--root', root, 'run', '--name', 'racer', BB, 'true']);
      const b = spawnCli(['--root', root, 'run', '--name', 'racer', BB, 'true']);
      const results = await Promise.all([a.done, b.done]);
      const codes = results.map((r) => r.code).sort();
      assert.deepEqual(codes, [0, 125], JSON.stringify(results));
      assert.match(results.find((r) => r.code === 125)!.stderr, /the container name "racer" is already in use/);
      const store = openStore(root);
      try {
        assert.equal(store.containers.list().filter((c) => c.name === 'racer').length, 1);
      } finally {
        store.close();
      }
      ok(await cli('rm', 'racer'));
    });
    test('--rm leaves no record, directory, mount or runc state', async () => {
      const cid = join(tmp, 'rm.cid');
      assert.equal(ok(await run('--cidfile', cid, BB, 'echo', 'bye')), 'bye\n');
      assertGone(readFileSync(cid, 'utf8'));
      const cid2 = join(tmp, 'rm2.cid');
      assert.equal((await run('--cidfile', cid2, BB, 'sh', '-c', 'exit 7')).code, 7);
      assertGone(readFileSync(cid2, 'utf8'));
    });
  });

  describe('stdio, terminals, detach', () => {
    test('-i: piped stdin reaches the container', async () => {
      const piped = async (args: string[], input: string): Promise<string> => {
        const child = spawn(process.execPath, [SKIFF_BIN, '--root', root, 'run', '--rm', '-i', BB, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (err += c));
        child.stdin.end(input);
        const code = await new Promise<number | null>((r) => child.on('close', r));
        assert.equal(code, 0, err);
        return out;
      };
      assert.equal(await piped(['sh'], 'echo hi\n'), 'hi\n');
      assert.equal(await piped(['sh', '-c', 'read a; read b; echo "$b $a"; cat'], 'one\ntwo\nrest\n'), 'two one\nrest\n');
    });
    test('signals skiff receives in the foreground reach the container (SIGTERM, SIGUSR1)', async () => {
      for (const [sig, code] of [['SIGTERM', 3], ['SIGUSR1', 4]] as const) {
        const script = `trap "echo got-${sig}; exit ${code}" ${sig.slice(3)}; echo ready; while :; do sleep 0.05; done`;
        const { child, done } = spawnCli(['--root', root, 'run', '--rm', BB, 'sh', '-c', script]);
        await new Promise<void>((r) => child.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && r()));
        child.kill(sig);
        const res = await done;
        assert.equal(res.code, code, res.stderr);
        assert.equal(res.stdout, `ready\ngot-${sig}\n`);
      }
    });
    test('without -i the container gets no stdin', async () => {
      const child = spawn(process.execPath, [SKIFF_BIN, '--root', root, 'run', '--rm', BB, 'sh', '-c', 'cat; echo done'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stdin.write('should not be read\n');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      child.stdin.destroy();
      assert.equal(code, 0);
      assert.equal(out, 'done\n');
    });
    test('-t: a terminal from script(1)', async () => {
      const cmd = `${process.execPath} ${SKIFF_BIN} --root ${root} run --rm -t ${BB} sh -c 'tty; echo "TERM=$TERM"'`;
      const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      const lines = out.split(/\r?\n/).filter(Boolean);
      assert.match(lines[0]!, /^\/dev\/pts\/\d+$/, out);
      assert.equal(lines[1], 'TERM=xterm');
    });
    test('-t without a terminal: not a TTY, 125, nothing created', async () => {
      const before = footprint();
      const r = await run('-t', BB, 'tty');
      assert.equal(r.code, 125);
      assert.match(r.stderr, /not a TTY/);
      assert.deepEqual(footprint(), before);
      const spawned = await spawnCli(['--root', root, 'run', '--rm', '-t', BB, 'tty']).done;
      assert.equal(spawned.code, 125);
      assert.match(spawned.stderr, /not a TTY/);
      assert.deepEqual(footprint(), before);
    });
    test('run -d prints the 64-hex ID; the container runs under conmon', async () => {
      const r = await cli('run', '-d', BB, 'sleep', '30');
      assert.match(ok(r), /^[0-9a-f]{64}\n$/);
      const id = r.stdout.trim();
      try {
        const state = runcState(id);
        assert.equal(state?.status, 'running');
        const ppid = readFileSync(`/proc/${state!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]!;
        assert.equal(readFileSync(`/proc/${ppid}/comm`, 'utf8').trim(), 'conmon');
        assert.equal(ok(await cli('inspect', '-f', '{{.State.Status}} {{.State.Pid}}', id)).trim(), `running ${state!.pid}`);
      } finally {
        ok(await cli('rm', '-f', id));
      }
      assertGone(id);
    });
  });

  test('nothing is left behind', () => {
    assertNoContainers(root);
  });
});
