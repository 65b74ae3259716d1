// Published ports: docker's -p forms, a free host port where none was given, a clear error
// where one is taken, and the text `port` and `ps` show.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SkiffError } from '../errors.js';

export type Protocol = 'tcp' | 'udp';

export interface PortSpec {
  hostIP: string;
  /** 0: any free port, chosen when the container starts. */
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
}

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new SkiffError('usage', `invalid port ${JSON.stringify(v)} in -p ${flag}: expected 1-65535`);
  return n;
}

/** -p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/PROTO], -p HOST_IP::CONTAINER_PORT, -p CONTAINER_PORT[/PROTO]. */
export function parsePublish(flag: string): PortSpec {
  const slash = flag.lastIndexOf('/');
  const proto = slash >= 0 ? flag.slice(slash + 1) : 'tcp';
  if (proto !== 'tcp' && proto !== 'udp') throw new SkiffError('usage', `invalid protocol ${JSON.stringify(proto)} in -p ${flag}: tcp or udp`);
  const body = slash >= 0 ? flag.slice(0, slash) : flag;
  // The host IP may be an IPv6 address in brackets; split on the last two colons.
  const parts = body.startsWith('[') ? [body.slice(1, body.indexOf(']')), ...body.slice(body.indexOf(']') + 2).split(':')] : body.split(':');
  let hostIP = '0.0.0.0';
  let hostPort = 0;
  let containerPort: number;
  if (parts.length === 1) containerPort = port(parts[0]!, flag);
  else if (parts.length === 2) {
    hostPort = port(parts[0]!, flag);
    containerPort = port(parts[1]!, flag);
  } else if (parts.length === 3) {
    hostIP = parts[0]!;
    if (parts[1] !== '') hostPort = port(parts[1]!, flag);
    containerPort = port(parts[2]!, flag);
  } else throw new SkiffError('usage', `invalid -p ${flag}: expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]`);
  return { hostIP, hostPort, containerPort, protocol: proto };
}

/** The image's ExposedPorts ("80/tcp": {}) as specs for -P: each to a free host port. */
export function exposedPorts(exposed: Record<string, object> | undefined): PortSpec[] {
  return Object.keys(exposed ?? {})
    .map((k): PortSpec => {
      const [p, proto = 'tcp'] = k.split('/');
      return { hostIP: '0.0.0.0', hostPort: 0, containerPort: port(p!, k), protocol: proto === 'udp' ? 'udp' : 'tcp' };
    })
    .sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

// node:net and node:dgram load when a port is published: ps and port, which only format
// ports, do not pay for them.
const load = createRequire(import.meta.url);

/** The first port an ordinary user may bind (the kernel's net.ipv4.ip_unprivileged_port_start). */
function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) || 1024;
  } catch {
    return 1024;
  }
}

/** Binds the port for a moment: free, or taken by something listening there. */
function probe(p: PortSpec, hostPort: number): Promise<number> {
  const { createServer } = load('node:net') as typeof import('node:net');
  const { createSocket } = load('node:dgram') as typeof import('node:dgram');
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const where = `${p.hostIP}:${hostPort}/${p.protocol}`;
      reject(
        err.code === 'EADDRINUSE'
          ? new SkiffError('conflict', `cannot publish ${where}: the host port is already in use`)
          : err.code === 'EACCES'
            ? new SkiffError('usage', `cannot publish ${where}: host ports below ${unprivilegedPortStart()} need privileges this user lacks; publish on a higher host port`)
            : new SkiffError('usage', `cannot publish on ${where}: ${err.message}`),
      );
    };
    if (p.protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', fail);
      s.bind(hostPort, p.hostIP, () => {
        const got = s.address().port;
        s.close(() => resolve(got));
      });
      return;
    }
    const s = createServer();
    s.once('error', fail);
    s.listen(hostPort, p.hostIP, () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

/**
 * Resolves port 0 to a free port and checks the others are free — of listeners on the host,
 * and of ports other containers publish (`taken`, which iptables rules hold without a socket).
 */
export async function allocatePorts(specs: PortSpec[], taken: PortSpec[]): Promise<PortSpec[]> {
  const out: PortSpec[] = [];
  for (const p of specs) {
    const clash = (q: PortSpec, hostPort: number) => q.hostPort === hostPort && q.protocol === p.protocol && (q.hostIP === p.hostIP || q.hostIP === '0.0.0.0' || p.hostIP === '0.0.0.0');
    let hostPort = p.hostPort;
    for (let attempt = 0; ; attempt++) {
      hostPort = await probe(p, p.hostPort);
      if (![...taken, ...out].some((q) => clash(q, hostPort))) break;
      if (p.hostPort !== 0 || attempt > 20) {
        throw new SkiffError('conflict', `cannot publish ${p.hostIP}:${hostPort}/${p.protocol}: another container publishes that host port`);
      }
    }
    out.push({ ...p, hostPort });
  }
  return out;
}

/** docker's PORTS text: 0.0.0.0:8080->80/tcp */
export function formatPort(p: PortSpec): string {
  return `${p.hostIP}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** The portmap plugin's capability argument. */
export function portMappings(ports: PortSpec[]): { hostPort: number; containerPort: number; protocol: string; hostIP?: string }[] {
  return ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIP !== '0.0.0.0' ? { hostIP: p.hostIP } : {}) }));
}
