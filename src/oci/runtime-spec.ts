// The OCI runtime config.json for one container: containerd's default Linux spec
// (pkg/oci/spec.go) with the image config and docker's run options applied the way docker
// and nerdctl apply them. Pure: everything it needs from the host comes in SpecInput.
import { posix } from 'node:path';
import { SkiffError } from '../errors.js';
import type { LinuxDevice, LinuxDeviceCgroup, LinuxNamespace, Mount, Rlimit, Spec } from './runtime-types.js';
import type { ImageConfigProcess } from './types.js';

export type MountSpec =
  /** `createSource`: make a missing source directory (docker's -v does; --mount refuses). */
  | { type: 'bind'; source: string; destination: string; readOnly: boolean; propagation?: string; createSource?: boolean }
  | { type: 'tmpfs'; destination: string; options: string[] };

export interface SpecInput {
  /** The image's config.config. */
  image: ImageConfigProcess | undefined;
  /** CMD... from the command line; replaces the image's Cmd when not empty. */
  args?: string[];
  /** --entrypoint; replaces the image's Entrypoint and drops its Cmd. [''] or [] means none. */
  entrypoint?: string[];
  /** K=V overrides the image's K; a bare K takes K from hostEnv and is left out when unset there. */
  env: string[];
  hostEnv: Record<string, string | undefined>;
  workdir?: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  terminal: boolean;
  readOnly: boolean;
  privileged: boolean;
  /** NET_ADMIN or CAP_NET_ADMIN, any case, or ALL. */
  capAdd: string[];
  capDrop: string[];
  /** none: a new, empty namespace; host: the host's; bridge: the namespace file at netnsPath. */
  network: 'none' | 'host' | 'bridge';
  netnsPath?: string;
  mounts: MountSpec[];
  /** Usually 'rootfs', relative to the bundle. */
  rootfsPath: string;
  /** Absolute host paths, bind-mounted at /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  /** The caller's hard rlimits: runc fails to start a container that asks for more. */
  hardLimits: { nofile: number; nproc?: number };
  annotations?: Record<string, string>;
  /** Device nodes to create in /dev (with --privileged: the host's, see runtime/host-devices.ts). */
  devices?: LinuxDevice[];
  /** With --privileged: the capabilities the caller can pass on (its bounding set); default all. */
  hostCapabilities?: string[];
}

// 1.0.2 is what runc 1.1 declares; nothing we write needs a later version.
export const OCI_VERSION = '1.0.2';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// docker's and containerd 1.x's default set. containerd 2.0 dropped MKNOD, NET_RAW, SETFCAP,
// SYS_CHROOT and AUDIT_WRITE; we keep docker's so that images behave as under docker.
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability the kernel defines, in number order (0 .. 40, CAP_CHECKPOINT_RESTORE). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];
const KNOWN_CAPABILITIES = new Set(ALL_CAPABILITIES);

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/sys/devices/virtual/powercap', '/proc/scsi',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// docker's effective default (dockerd runs with LimitNOFILE=infinity, i.e. 1048576), so
// servers that size pools by RLIMIT_NOFILE behave as under docker. containerd's 1024/1024 is
// too low for them. Clamped to the caller's hard limit, which runc cannot exceed.
const DEFAULT_NOFILE = 1048576;

const usage = (message: string): SkiffError => new SkiffError('usage', message);

export function buildSpec(input: SpecInput): Spec {
  const { uid, gid } = input.user;
  const caps = capabilities(input.capAdd, input.capDrop, input.privileged, input.hostCapabilities);
  const mounts = specMounts(input);
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: input.terminal,
      // The primary gid goes into the supplementary list too, as docker and containerd do
      // since CVE-2023-25173: otherwise the process is not in its own group for access checks.
      user: { uid, gid, additionalGids: unique([gid, ...input.user.additionalGids]) },
      args: processArgs(input.image, input.entrypoint, input.args),
      env: processEnv(input),
      cwd: processCwd(input.workdir, input.image?.WorkingDir),
      // Like docker: a non-root user gets the bounding set only, as execve would leave it;
      // runc would otherwise carry the capabilities across the switch to that user.
      capabilities: uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: [...caps] },
      rlimits: rlimits(input.hardLimits),
      noNewPrivileges: !input.privileged,
    },
    root: { path: input.rootfsPath, readonly: input.readOnly },
    hostname: input.hostname,
    mounts: mounts.list,
    ...(input.annotations && Object.keys(input.annotations).length > 0 ? { annotations: { ...input.annotations } } : {}),
    linux: {
      namespaces: namespaces(input.network, input.netnsPath),
      ...(input.devices && input.devices.length > 0 ? { devices: input.devices.map((d) => ({ ...d })) } : {}),
      resources: { devices: deviceRules(input.privileged, input.devices ?? []) },
      ...(mounts.rootfsPropagation ? { rootfsPropagation: mounts.rootfsPropagation } : {}),
      // Privileged containers see /proc and /sys unmasked, as containerd's WithPrivileged does.
      ...(input.privileged ? {} : { maskedPaths: [...DEFAULT_MASKED_PATHS], readonlyPaths: [...DEFAULT_READONLY_PATHS] }),
    },
  };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Entrypoint + Cmd as docker combines them. */
function processArgs(image: ImageConfigProcess | undefined, entrypoint: string[] | undefined, args: string[] | undefined): string[] {
  const given = args ?? [];
  let head: string[];
  let tail: string[];
  if (entrypoint !== undefined) {
    // docker drops the image's Cmd with the Entrypoint it was written for.
    head = entrypoint.length === 1 && entrypoint[0] === '' ? [] : entrypoint;
    tail = given;
  } else {
    head = image?.Entrypoint ?? [];
    tail = given.length > 0 ? given : (image?.Cmd ?? []);
  }
  const all = [...head, ...tail];
  if (all.length === 0) throw new SkiffError('usage', 'no command specified', { exitCode: 125 });
  return all;
}

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Later entries replace earlier ones with the same key, in place; new keys are appended. */
function replaceOrAppend(base: string[], overrides: string[]): string[] {
  const out = [...base];
  const index = new Map(out.map((e, i) => [envKey(e), i]));
  for (const e of overrides) {
    const i = index.get(envKey(e));
    if (i === undefined) {
      index.set(envKey(e), out.length);
      out.push(e);
    } else {
      out[i] = e;
    }
  }
  return out;
}

// Order as docker's CreateDaemonEnvironment: its defaults, then the image's, then the user's.
function processEnv(input: SpecInput): string[] {
  const defaults = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${input.hostname}`, ...(input.terminal ? ['TERM=xterm'] : [])];
  const fromImage = (input.image?.Env ?? []).filter((e) => e.indexOf('=') > 0);
  const fromUser: string[] = [];
  for (const e of input.env) {
    const key = envKey(e);
    if (key === '') throw usage(`invalid environment variable ${JSON.stringify(e)}: the name is empty`);
    if (key === e) {
      const value = input.hostEnv[key];
      if (value !== undefined) fromUser.push(`${key}=${value}`);
    } else {
      fromUser.push(e);
    }
  }
  return replaceOrAppend(replaceOrAppend(defaults, fromImage), fromUser);
}

function processCwd(workdir: string | undefined, imageWorkdir: string | undefined): string {
  let cwd = '/';
  let what = 'working directory';
  if (workdir) {
    if (!workdir.startsWith('/')) throw usage(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
    cwd = posix.resolve(workdir);
  } else if (imageWorkdir) {
    // Builders resolve a relative WORKDIR against /; an image that kept one relative means the same.
    cwd = posix.resolve('/', imageWorkdir);
    what = "image's working directory";
  }
  // A cwd in /proc or /sys is how leaked-fd escapes (CVE-2024-21626) get in; nothing legitimate runs there.
  for (const top of ['/proc', '/sys']) {
    if (cwd === top || cwd.startsWith(`${top}/`)) throw usage(`the ${what} '${cwd}' is invalid, it must not be under ${top}`);
  }
  return cwd;
}

function capabilityName(raw: string, flag: string): string {
  const up = raw.trim().toUpperCase();
  if (up === 'ALL') return up;
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!KNOWN_CAPABILITIES.has(name)) throw usage(`invalid ${flag}: unknown capability ${JSON.stringify(raw)}`);
  return name;
}

// docker's TweakCapabilities: privileged gets everything (the host's bounding set allows); add ALL wins over drop ALL; drop ALL
// starts from nothing; otherwise defaults minus drops plus adds.
function capabilities(capAdd: string[], capDrop: string[], privileged: boolean, host?: string[]): string[] {
  const add = capAdd.map((c) => capabilityName(c, '--cap-add'));
  const drop = new Set(capDrop.map((c) => capabilityName(c, '--cap-drop')));
  if (privileged) return ALL_CAPABILITIES.filter((c) => !host || host.includes(c));
  if (add.includes('ALL')) return ALL_CAPABILITIES.filter((c) => !drop.has(c));
  const base = drop.has('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.has(c));
  return unique([...base, ...add]);
}

function rlimits(hard: { nofile: number }): Rlimit[] {
  const n = Math.floor(Math.min(DEFAULT_NOFILE, hard.nofile));
  return [{ type: 'RLIMIT_NOFILE', soft: n, hard: n }];
}

function namespaces(network: 'none' | 'host' | 'bridge', netnsPath?: string): LinuxNamespace[] {
  const ns: LinuxNamespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (network === 'bridge') {
    if (!netnsPath) throw new SkiffError('internal', 'a bridged container needs its network namespace path');
    ns.push({ type: 'network', path: netnsPath });
  } else if (network !== 'host') ns.push({ type: 'network' });
  return ns;
}

const rwm = 'rwm';
const allow = (type: 'c' | 'b', major: number, minor?: number): LinuxDeviceCgroup => ({
  allow: true,
  type,
  major,
  ...(minor === undefined ? {} : { minor }),
  access: rwm,
});

// containerd's WithDefaultUnixDevices: deny all, then the nodes runc creates in /dev anyway.
function deviceRules(privileged: boolean, devices: LinuxDevice[]): LinuxDeviceCgroup[] {
  if (privileged) return [{ allow: true, type: 'a', access: rwm }];
  return [
    { allow: false, type: 'a', access: rwm },
    allow('c', 1, 3), // null
    allow('c', 1, 5), // zero
    allow('c', 1, 7), // full
    allow('c', 1, 8), // random
    allow('c', 1, 9), // urandom
    allow('c', 5, 0), // tty
    allow('c', 5, 1), // console
    allow('c', 5, 2), // ptmx
    allow('c', 136), // pts/*
    ...devices
      .filter((d) => (d.type === 'c' || d.type === 'b' || d.type === 'u') && d.major !== undefined)
      .map((d) => allow(d.type === 'b' ? 'b' : 'c', d.major!, d.minor)),
  ];
}

function systemMounts(privileged: boolean, network: 'none' | 'host' | 'bridge'): Mount[] {
  const sysMode = privileged ? 'rw' : 'ro';
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (network === 'host') {
    // sysfs can only be mounted by the owner of the network namespace, which the host's is
    // not when runc runs in a user namespace; runc's rootless conversion, podman and CRI-O
    // bind the host's /sys instead, and its cgroup mounts come along with it.
    mounts.push({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', sysMode] });
  } else {
    mounts.push(
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', sysMode] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', sysMode] },
    );
  }
  return mounts;
}

// docker mounts these writable unless the root filesystem is read-only.
function etcMounts(files: SpecInput['etcFiles'], readOnly: boolean): Mount[] {
  const mode = readOnly ? 'ro' : 'rw';
  return [
    ['/etc/hosts', files.hosts],
    ['/etc/hostname', files.hostname],
    ['/etc/resolv.conf', files.resolvConf],
  ].map(([destination, source]) => ({ destination: destination!, type: 'bind', source: source!, options: ['rbind', mode, 'rprivate'] }));
}

// Flags a later option overrides, as docker's MergeTmpfsOptions does.
const OPPOSITES: Record<string, string> = {
  exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro',
  atime: 'noatime', noatime: 'atime', diratime: 'nodiratime', nodiratime: 'diratime',
};

function mergeOptions(defaults: string[], given: string[]): string[] {
  let out = [...defaults];
  for (const o of given) {
    const eq = o.indexOf('=');
    if (eq > 0) {
      const key = o.slice(0, eq + 1);
      out = out.filter((x) => !x.startsWith(key));
    } else {
      out = out.filter((x) => x !== o && x !== OPPOSITES[o]);
    }
    out.push(o);
  }
  return out;
}

function userMount(m: MountSpec): Mount {
  if (!m.destination.startsWith('/')) throw usage(`invalid mount destination '${m.destination}': it needs to be an absolute path`);
  const destination = posix.resolve(m.destination);
  if (destination === '/') throw usage("invalid mount destination '/': cannot mount over the root filesystem");
  if (m.type === 'bind') {
    return { destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly ? 'ro' : 'rw', m.propagation ?? 'rprivate'] };
  }
  return { destination, type: 'tmpfs', source: 'tmpfs', options: mergeOptions(['nosuid', 'nodev', 'noexec'], m.options) };
}

const depth = (p: string): number => p.split('/').filter(Boolean).length;

function specMounts(input: SpecInput): { list: Mount[]; rootfsPropagation?: string } {
  const list = [...systemMounts(input.privileged, input.network), ...etcMounts(input.etcFiles, input.readOnly)];
  const seen = new Set<string>();
  const added: Mount[] = [];
  for (const m of input.mounts) {
    const mount = userMount(m);
    if (seen.has(mount.destination)) throw usage(`duplicate mount point: ${mount.destination}`);
    seen.add(mount.destination);
    const i = list.findIndex((x) => x.destination === mount.destination);
    if (i >= 0) list[i] = mount;
    else added.push(mount);
  }
  // Parents before children, or a later mount would hide an earlier one; sort is stable.
  added.sort((a, b) => depth(a.destination) - depth(b.destination));
  return { list: [...list, ...added], ...rootfsPropagation(input.mounts) };
}

// As docker: a shared or slave bind needs the root's propagation to let events through.
function rootfsPropagation(mounts: MountSpec[]): { rootfsPropagation?: string } {
  const kinds = mounts.map((m) => (m.type === 'bind' ? (m.propagation ?? '') : ''));
  if (kinds.some((p) => p === 'shared' || p === 'rshared')) return { rootfsPropagation: 'shared' };
  if (kinds.some((p) => p === 'slave' || p === 'rslave')) return { rootfsPropagation: 'rslave' };
  return {};
}
