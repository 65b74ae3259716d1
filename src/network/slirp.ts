// Rootless networking: slirp4netns gives a container's namespace a tap device with NAT to the
// host's network, in user space (no privilege needed), and forwards published ports from the
// host through its API socket. One slirp4netns process per running container, stopped when
// the container's network is handed back.
import { SkiffError } from '../errors.js';
import type { PortSpec } from './ports.js';

/** slirp4netns's fixed addresses (its default 10.0.2.0/24). */
export const SLIRP_GUEST = '10.0.2.100';
export const SLIRP_GATEWAY = '10.0.2.2';
export const SLIRP_DNS = '10.0.2.3';

export interface SlirpProcess {
  pid: number;
  apiSocket: string;
}

/** Starts slirp4netns on the namespace file and returns once tap0 is configured. */
export function startSlirp(netns: string, apiSocket: string): Promise<SlirpProcess> {
  return new Promise((resolve, reject) => {
    const child = process.getBuiltinModule('node:child_process').spawn(
      'slirp4netns',
      ['--configure', '--mtu=65520', '--disable-host-loopback', '--netns-type=path', `--api-socket=${apiSocket}`, '--ready-fd=3', netns, 'tap0'],
      { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const ready = child.stdio[3] as NodeJS.ReadableStream;
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const fail = (why: string) => {
      // The usual cause on a machine set up without udev: say what to do about it.
      const tun = /open\("\/dev\/net\/tun"\): Permission denied/.test(stderr)
        ? ': /dev/net/tun is not open to users here (Debian makes it 0666; as root: chmod 0666 /dev/net/tun), or use --network none'
        : '';
      reject(new SkiffError('unsupported', `rootless network setup failed (slirp4netns): ${why}${tun}`));
    };
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code) => fail(stderr.trim().split('\n').pop() || `exited ${code}`));
    ready.once('data', () => {
      child.removeAllListeners('exit');
      child.stderr!.destroy();
      ready.removeAllListeners();
      (ready as unknown as { destroy(): void }).destroy();
      child.unref();
      resolve({ pid: child.pid!, apiSocket });
    });
  });
}

function apiCall(socket: string, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const conn = process.getBuiltinModule('node:net').createConnection(socket);
    let reply = '';
    conn.on('connect', () => conn.end(JSON.stringify(request)));
    conn.on('data', (c: Buffer) => (reply += c.toString()));
    conn.on('error', reject);
    conn.on('close', () => {
      try {
        resolve(JSON.parse(reply) as Record<string, unknown>);
      } catch {
        reject(new Error(`unreadable reply ${JSON.stringify(reply)}`));
      }
    });
  });
}

/** Forwards each published port from the host to the container. */
export async function forwardPorts(s: SlirpProcess, ports: PortSpec[]): Promise<void> {
  for (const p of ports) {
    const reply = await apiCall(s.apiSocket, {
      execute: 'add_hostfwd',
      arguments: { proto: p.protocol, host_addr: p.hostIP, host_port: p.hostPort, guest_addr: SLIRP_GUEST, guest_port: p.containerPort },
    }).catch((err: Error) => ({ error: { desc: err.message } }));
    const error = (reply as { error?: { desc?: string } }).error;
    if (error) throw new SkiffError('conflict', `cannot publish ${p.hostIP}:${p.hostPort}->${p.containerPort}/${p.protocol}: ${error.desc ?? 'slirp4netns refused it'}`);
  }
}
