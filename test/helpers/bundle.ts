// Test-only: a minimal OCI runtime bundle whose rootfs is Debian's static busybox, for tests
// that drive runc and conmon directly without an image store. The config is written here as
// a plain object (not `runc spec`) so the test pins exactly what it runs.
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX_BIN = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'cat', 'sleep', 'true', 'false', 'ls', 'tty', 'seq', 'wc', 'printf'];

export interface BundleOptions {
  args: string[];
  terminal?: boolean;
  env?: string[];
}

export interface Bundle {
  dir: string;
  rootfs: string;
  config: string;
}

/** Creates `dir` holding rootfs/ (busybox and its applet links) and config.json. */
export function makeBundle(dir: string, o: BundleOptions): Bundle {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX_BIN, join(rootfs, 'bin/busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(bundleConfig(o), null, 1));
  return { dir, rootfs, config };
}

const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'];

/** A minimal valid runtime spec: own pid, mount, ipc, uts and network namespaces. */
export function bundleConfig(o: BundleOptions): Record<string, unknown> {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: o.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args: o.args,
      env: o.env ?? ['PATH=/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      // Within this host's hard limit (20000).
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'skiff-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
