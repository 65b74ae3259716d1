// Table tests for src/oci/runtime-spec.ts: the config.json a container runs with.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  DEFAULT_PATH,
  buildSpec,
  type MountSpec,
  type SpecInput,
} from '../../src/oci/runtime-spec.js';
import type { Mount } from '../../src/oci/runtime-types.js';
import type { ImageConfigProcess } from '../../src/oci/types.js';

const IMAGE: ImageConfigProcess = {
  Env: ['PATH=/image/bin:/usr/bin', 'LANG=C.UTF-8', 'KEEP=1'],
  Entrypoint: ['/entry.sh'],
  Cmd: ['serve', '--port', '80'],
  WorkingDir: '/app',
};

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    image: IMAGE,
    env: [],
    hostEnv: {},
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'c0ffee',
    terminal: false,
    readOnly: false,
    privileged: false,
    capAdd: [],
    capDrop: [],
    network: 'none',
    mounts: [],
    rootfsPath: 'rootfs',
    etcFiles: { hosts: '/state/c/hosts', hostname: '/state/c/hostname', resolvConf: '/state/c/resolv.conf' },
    hardLimits: { nofile: 20000, nproc: 96365 },
    ...over,
  };
}

function expectError(fn: () => unknown, kind: string, message: RegExp, exitCode = 125): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SkiffError, `expected a SkiffError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    assert.equal(e.exitCode, exitCode);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

const mountAt = (mounts: Mount[], dest: string): Mount | undefined => mounts.find((m) => m.destination === dest);

describe('args: entrypoint and cmd', () => {
  // [name, image, --entrypoint, CMD args, expected]
  const rows: [string, ImageConfigProcess | undefined, string[] | undefined, string[] | undefined, string[]][] = [
    ['image entrypoint + cmd', IMAGE, undefined, undefined, ['/entry.sh', 'serve', '--port', '80']],
    ['args replace the image cmd', IMAGE, undefined, ['sh', '-c', 'true'], ['/entry.sh', 'sh', '-c', 'true']],
    ['empty args keep the image cmd', IMAGE, undefined, [], ['/entry.sh', 'serve', '--port', '80']],
    ['cmd only', { Cmd: ['/bin/sh'] }, undefined, undefined, ['/bin/sh']],
    ['null entrypoint and cmd, args given', { Entrypoint: null, Cmd: null }, undefined, ['ls'], ['ls']],
    ['entrypoint only', { Entrypoint: ['/bin/app'] }, undefined, undefined, ['/bin/app']],
    ['--entrypoint drops the image cmd', IMAGE, ['/bin/ls'], undefined, ['/bin/ls']],
    ['--entrypoint with args', IMAGE, ['/bin/ls'], ['-l', '/'], ['/bin/ls', '-l', '/']],
    ["--entrypoint '' with args", IMAGE, [''], ['echo', 'hi'], ['echo', 'hi']],
    ['--entrypoint [] with args', IMAGE, [], ['echo', 'hi'], ['echo', 'hi']],
    ['no image config, args', undefined, undefined, ['true'], ['true']],
  ];
  for (const [name, image, entrypoint, args, expected] of rows) {
    test(name, () => {
      const spec = buildSpec(input({ image, ...(entrypoint ? { entrypoint } : {}), ...(args ? { args } : {}) }));
      assert.deepEqual(spec.process.args, expected);
    });
  }
  const empty: [string, ImageConfigProcess | undefined, string[] | undefined][] = [
    ['nothing at all', {}, undefined],
    ['no image config', undefined, undefined],
    ["--entrypoint '' and no args drops the image cmd too", IMAGE, ['']],
  ];
  for (const [name, image, entrypoint] of empty) {
    test(`no command: ${name}`, () => {
      expectError(() => buildSpec(input({ image, ...(entrypoint ? { entrypoint } : {}) })), 'usage', /^no command specified$/);
    });
  }
});

describe('env', () => {
  const rows: [string, Partial<SpecInput>, string[]][] = [
    [
      'image env, PATH from the image, HOSTNAME',
      {},
      ['PATH=/image/bin:/usr/bin', 'HOSTNAME=c0ffee', 'LANG=C.UTF-8', 'KEEP=1'],
    ],
    ['default PATH when the image has none', { image: { Cmd: ['x'] } }, [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=c0ffee']],
    ['TERM with a terminal', { image: { Cmd: ['x'] }, terminal: true }, [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=c0ffee', 'TERM=xterm']],
    [
      'user env overrides by key in place and appends new keys',
      { env: ['LANG=en_US.UTF-8', 'NEW=a=b', 'HOSTNAME=mine', 'EMPTY='] },
      ['PATH=/image/bin:/usr/bin', 'HOSTNAME=mine', 'LANG=en_US.UTF-8', 'KEEP=1', 'NEW=a=b', 'EMPTY='],
    ],
    [
      'bare K comes from the host env, and is left out when unset there',
      { env: ['FROM_HOST', 'UNSET_ON_HOST', 'KEEP'], hostEnv: { FROM_HOST: 'yes', KEEP: 'host' } },
      ['PATH=/image/bin:/usr/bin', 'HOSTNAME=c0ffee', 'LANG=C.UTF-8', 'KEEP=host', 'FROM_HOST=yes'],
    ],
    ['later -e wins', { image: { Cmd: ['x'] }, env: ['A=1', 'A=2'] }, [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=c0ffee', 'A=2']],
    ['user PATH replaces the default', { image: { Cmd: ['x'] }, env: ['PATH=/opt'] }, ['PATH=/opt', 'HOSTNAME=c0ffee']],
  ];
  for (const [name, over, expected] of rows) {
    test(name, () => assert.deepEqual(buildSpec(input(over)).process.env, expected));
  }
  test('an empty name is refused', () => {
    expectError(() => buildSpec(input({ env: ['=x'] })), 'usage', /invalid environment variable "=x"/);
  });
});

describe('cwd', () => {
  const rows: [string, Partial<SpecInput>, string][] = [
    ["the image's WorkingDir", {}, '/app'],
    ['-w wins', { workdir: '/srv/data' }, '/srv/data'],
    ['-w is normalised', { workdir: '/srv/./a/../b/' }, '/srv/b'],
    ['no WorkingDir: /', { image: { Cmd: ['x'] } }, '/'],
    ['a relative image WorkingDir is taken from /', { image: { Cmd: ['x'], WorkingDir: 'app' } }, '/app'],
    ['-w "" keeps the image one', { workdir: '' }, '/app'],
    ['/procfoo is not /proc', { workdir: '/procfoo' }, '/procfoo'],
  ];
  for (const [name, over, expected] of rows) {
    test(name, () => assert.equal(buildSpec(input(over)).process.cwd, expected));
  }
  const bad: [string, Partial<SpecInput>, RegExp][] = [
    ['relative -w', { workdir: 'data' }, /^the working directory 'data' is invalid, it needs to be an absolute path$/],
    ['-w under /proc', { workdir: '/proc/self/fd/7' }, /working directory '\/proc\/self\/fd\/7' is invalid, it must not be under \/proc/],
    ['-w /sys', { workdir: '/sys' }, /must not be under \/sys/],
    ['-w escaping into /proc with ..', { workdir: '/tmp/../proc/1' }, /'\/proc\/1'.*under \/proc/],
    ['image WorkingDir under /proc', { image: { Cmd: ['x'], WorkingDir: '/proc/1/cwd' } }, /image's working directory/],
  ];
  for (const [name, over, message] of bad) {
    test(`refused: ${name}`, () => expectError(() => buildSpec(input(over)), 'usage', message));
  }
});

describe('capabilities', () => {
  const caps = (over: Partial<SpecInput>) => buildSpec(input(over)).process.capabilities!;
  test('defaults: the 14 in bounding, effective and permitted; no inheritable or ambient', () => {
    const c = caps({});
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.deepEqual(c.bounding, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(c.effective, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(c.permitted, [...DEFAULT_CAPABILITIES]);
    assert.equal(c.inheritable, undefined);
    assert.equal(c.ambient, undefined);
  });
  const rows: [string, string[], string[], (c: string[]) => void][] = [
    ['add by short name, any case', ['net_admin'], [], (c) => assert.ok(c.includes('CAP_NET_ADMIN') && c.length === 15)],
    ['add by CAP_ name', ['CAP_SYS_PTRACE'], [], (c) => assert.ok(c.includes('CAP_SYS_PTRACE'))],
    ['add twice and a default: no duplicates', ['NET_ADMIN', 'cap_net_admin', 'CHOWN'], [], (c) => assert.equal(c.length, 15)],
    ['drop', [], ['NET_RAW', 'cap_mknod'], (c) => assert.deepEqual(c, DEFAULT_CAPABILITIES.filter((x) => x !== 'CAP_NET_RAW' && x !== 'CAP_MKNOD'))],
    ['drop ALL', [], ['ALL'], (c) => assert.deepEqual(c, [])],
    ['drop ALL then add', ['CHOWN', 'net_bind_service'], ['all'], (c) => assert.deepEqual(c, ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'])],
    ['add ALL', ['ALL'], [], (c) => assert.deepEqual(c, [...ALL_CAPABILITIES])],
    ['add ALL minus a drop', ['ALL'], ['SYS_ADMIN'], (c) => assert.deepEqual(c, ALL_CAPABILITIES.filter((x) => x !== 'CAP_SYS_ADMIN'))],
  ];
  for (const [name, capAdd, capDrop, check] of rows) {
    test(name, () => {
      const c = caps({ capAdd, capDrop });
      check(c.bounding!);
      assert.deepEqual(c.effective, c.bounding);
      assert.deepEqual(c.permitted, c.bounding);
    });
  }
  test('unknown names are refused', () => {
    expectError(() => caps({ capAdd: ['NET_ADMINN'] }), 'usage', /invalid --cap-add: unknown capability "NET_ADMINN"/);
    expectError(() => caps({ capDrop: ['CAP_FOO'] }), 'usage', /invalid --cap-drop: unknown capability "CAP_FOO"/);
  });
  test('a non-root user keeps only the bounding set, as docker does', () => {
    const c = caps({ user: { uid: 1000, gid: 1000, additionalGids: [] } });
    assert.deepEqual(c.bounding, [...DEFAULT_CAPABILITIES]);
    assert.equal(c.effective, undefined);
    assert.equal(c.permitted, undefined);
  });
  test('the full list ends at CAP_CHECKPOINT_RESTORE (40)', () => {
    assert.equal(ALL_CAPABILITIES.length, 41);
    assert.equal(ALL_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
    assert.equal(ALL_CAPABILITIES[21], 'CAP_SYS_ADMIN');
  });
});

describe('defaults', () => {
  const spec = buildSpec(input());
  test('process and root', () => {
    assert.equal(spec.ociVersion, '1.0.2');
    assert.equal(spec.process.noNewPrivileges, true);
    assert.equal(spec.process.terminal, false);
    assert.deepEqual(spec.process.user, { uid: 0, gid: 0, additionalGids: [0] });
    assert.deepEqual(spec.root, { path: 'rootfs', readonly: false });
    assert.equal(spec.hostname, 'c0ffee');
    assert.equal(spec.annotations, undefined);
  });
  test('masked and read-only paths', () => {
    for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/acpi']) {
      assert.ok(spec.linux.maskedPaths!.includes(p), p);
    }
    assert.deepEqual(spec.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });
  test('standard mounts, in order, then the etc files', () => {
    assert.deepEqual(
      spec.mounts.map((m) => `${m.destination} ${m.type}`),
      [
        '/proc proc',
        '/dev tmpfs',
        '/dev/pts devpts',
        '/dev/shm tmpfs',
        '/dev/mqueue mqueue',
        '/sys sysfs',
        '/sys/fs/cgroup cgroup',
        '/etc/hosts bind',
        '/etc/hostname bind',
        '/etc/resolv.conf bind',
      ],
    );
    assert.ok(mountAt(spec.mounts, '/sys')!.options!.includes('ro'));
    assert.ok(mountAt(spec.mounts, '/sys/fs/cgroup')!.options!.includes('ro'));
    assert.deepEqual(mountAt(spec.mounts, '/etc/resolv.conf'), {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: '/state/c/resolv.conf',
      options: ['rbind', 'rw', 'rprivate'],
    });
  });
  test('devices cgroup: deny all, then the standard character devices', () => {
    const rules = spec.linux.resources!.devices!;
    assert.deepEqual(rules[0], { allow: false, type: 'a', access: 'rwm' });
    const allowed = rules.slice(1).map((r) => `${r.type} ${r.major}:${r.minor ?? '*'} ${r.access} ${r.allow}`);
    assert.deepEqual(allowed, [
      'c 1:3 rwm true',
      'c 1:5 rwm true',
      'c 1:7 rwm true',
      'c 1:8 rwm true',
      'c 1:9 rwm true',
      'c 5:0 rwm true',
      'c 5:1 rwm true',
      'c 5:2 rwm true',
      'c 136:* rwm true',
    ]);
    assert.equal(spec.linux.devices, undefined);
  });
  test('the primary gid leads the supplementary list, once', () => {
    const s = buildSpec(input({ user: { uid: 1000, gid: 100, additionalGids: [10, 100, 10, 27] } }));
    assert.deepEqual(s.process.user, { uid: 1000, gid: 100, additionalGids: [100, 10, 27] });
  });
  test('annotations are copied', () => {
    const annotations = { 'org.skiff.name': 'web' };
    const s = buildSpec(input({ annotations }));
    assert.deepEqual(s.annotations, annotations);
    assert.notEqual(s.annotations, annotations);
  });
});

describe('rlimits', () => {
  const rows: [string, number, number][] = [
    ['clamped to a small hard limit', 20000, 20000],
    ['tiny hard limit', 256, 256],
    ['1048576 when the hard limit allows', 4194304, 1048576],
    ['unlimited hard limit', Infinity, 1048576],
  ];
  for (const [name, hard, expected] of rows) {
    test(name, () => {
      assert.deepEqual(buildSpec(input({ hardLimits: { nofile: hard } })).process.rlimits, [
        { type: 'RLIMIT_NOFILE', soft: expected, hard: expected },
      ]);
    });
  }
});

describe('privileged, read-only, network', () => {
  test('privileged', () => {
    const s = buildSpec(input({ privileged: true, capDrop: ['CHOWN'] }));
    assert.deepEqual(s.process.capabilities!.bounding, [...ALL_CAPABILITIES]);
    assert.deepEqual(s.process.capabilities!.effective, [...ALL_CAPABILITIES]);
    assert.equal(s.process.noNewPrivileges, false);
    assert.equal(s.linux.maskedPaths, undefined);
    assert.equal(s.linux.readonlyPaths, undefined);
    assert.deepEqual(s.linux.resources!.devices, [{ allow: true, type: 'a', access: 'rwm' }]);
    assert.ok(mountAt(s.mounts, '/sys')!.options!.includes('rw'));
    assert.ok(!mountAt(s.mounts, '/sys')!.options!.includes('ro'));
    assert.ok(mountAt(s.mounts, '/sys/fs/cgroup')!.options!.includes('rw'));
  });
  test('privileged with host devices', () => {
    const devices = [{ type: 'c' as const, path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
    const s = buildSpec(input({ privileged: true, devices }));
    assert.deepEqual(s.linux.devices, devices);
    assert.notEqual(s.linux.devices![0], devices[0]);
  });
  test('devices without privileged get an allow rule each', () => {
    const s = buildSpec(input({ devices: [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }] }));
    assert.deepEqual(s.linux.resources!.devices!.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
  });
  test('read-only root keeps the etc files read-only too', () => {
    const s = buildSpec(input({ readOnly: true }));
    assert.equal(s.root.readonly, true);
    for (const d of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.deepEqual(mountAt(s.mounts, d)!.options, ['rbind', 'ro', 'rprivate']);
    assert.ok(!mountAt(s.mounts, '/dev/shm')!.options!.includes('ro'), '/dev/shm stays writable');
  });
  const nsRows: [string, 'none' | 'host', string[]][] = [
    ['none: a new network namespace', 'none', ['pid', 'ipc', 'uts', 'mount', 'network']],
    ['host: no network namespace', 'host', ['pid', 'ipc', 'uts', 'mount']],
  ];
  for (const [name, network, expected] of nsRows) {
    test(name, () => assert.deepEqual(buildSpec(input({ network })).linux.namespaces.map((n) => n.type), expected));
  }
  test("host network binds the host's /sys instead of mounting sysfs", () => {
    const s = buildSpec(input({ network: 'host' }));
    assert.deepEqual(mountAt(s.mounts, '/sys'), {
      destination: '/sys',
      type: 'bind',
      source: '/sys',
      options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
    });
    assert.equal(mountAt(s.mounts, '/sys/fs/cgroup'), undefined);
  });
});

describe('user mounts', () => {
  const mounts = (ms: MountSpec[]) => buildSpec(input({ mounts: ms }));
  const rows: [string, MountSpec, Mount][] = [
    [
      'bind read-only',
      { type: 'bind', source: '/host/data', destination: '/data', readOnly: true },
      { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'ro', 'rprivate'] },
    ],
    [
      'bind read-write, trailing slash cleaned',
      { type: 'bind', source: '/host/data', destination: '/data/', readOnly: false },
      { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'rw', 'rprivate'] },
    ],
    [
      'bind with propagation',
      { type: 'bind', source: '/host/data', destination: '/data', readOnly: false, propagation: 'rslave' },
      { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'rw', 'rslave'] },
    ],
    [
      'tmpfs with size and mode',
      { type: 'tmpfs', destination: '/run', options: ['size=64m', 'mode=1777'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=64m', 'mode=1777'] },
    ],
    [
      'tmpfs exec overrides the default noexec, later size wins',
      { type: 'tmpfs', destination: '/scratch', options: ['exec', 'size=1m', 'size=2m'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'exec', 'size=2m'] },
    ],
  ];
  for (const [name, m, expected] of rows) {
    test(name, () => assert.deepEqual(mountAt(mounts([m]).mounts, expected.destination), expected));
  }
  test('a user mount replaces a default mount in place', () => {
    const s = mounts([{ type: 'tmpfs', destination: '/dev/shm', options: ['size=1g'] }]);
    assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
    assert.equal(s.mounts.findIndex((m) => m.destination === '/dev/shm'), 3);
    assert.deepEqual(mountAt(s.mounts, '/dev/shm')!.options, ['nosuid', 'nodev', 'noexec', 'size=1g']);
  });
  test('a user mount replaces an etc file', () => {
    const s = mounts([{ type: 'bind', source: '/etc/resolv.conf', destination: '/etc/resolv.conf', readOnly: true }]);
    assert.equal(s.mounts.filter((m) => m.destination === '/etc/resolv.conf').length, 1);
    assert.equal(mountAt(s.mounts, '/etc/resolv.conf')!.source, '/etc/resolv.conf');
  });
  test('user mounts come after the defaults, parents first', () => {
    const s = mounts([
      { type: 'bind', source: '/a/b', destination: '/data/sub', readOnly: false },
      { type: 'bind', source: '/a', destination: '/data', readOnly: false },
    ]);
    assert.deepEqual(s.mounts.slice(-2).map((m) => m.destination), ['/data', '/data/sub']);
  });
  test('shared propagation makes the root shared, slave makes it rslave', () => {
    const shared = mounts([{ type: 'bind', source: '/a', destination: '/a', readOnly: false, propagation: 'rshared' }]);
    assert.equal(shared.linux.rootfsPropagation, 'shared');
    const slave = mounts([{ type: 'bind', source: '/a', destination: '/a', readOnly: false, propagation: 'slave' }]);
    assert.equal(slave.linux.rootfsPropagation, 'rslave');
    assert.equal(mounts([]).linux.rootfsPropagation, undefined);
  });
  const bad: [string, MountSpec[], RegExp][] = [
    ['relative destination', [{ type: 'bind', source: '/a', destination: 'data', readOnly: false }], /invalid mount destination 'data': it needs to be an absolute path/],
    ['relative tmpfs destination', [{ type: 'tmpfs', destination: 'tmp', options: [] }], /needs to be an absolute path/],
    ['the root', [{ type: 'bind', source: '/a', destination: '/', readOnly: false }], /invalid mount destination '\/'/],
    [
      'the same destination twice',
      [
        { type: 'bind', source: '/a', destination: '/data', readOnly: false },
        { type: 'tmpfs', destination: '/data/', options: [] },
      ],
      /^duplicate mount point: \/data$/,
    ],
  ];
  for (const [name, ms, message] of bad) {
    test(`refused: ${name}`, () => expectError(() => mounts(ms), 'usage', message));
  }
});
