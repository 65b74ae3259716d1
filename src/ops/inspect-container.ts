// inspect: a container as docker's inspect shows it (the fields scripts read), from the record.
import { SkiffError } from '../errors.js';
import { containerLayout } from '../runtime/container-layout.js';
import { type AttachedNetwork, readAttached } from './attached-network.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import type { Store } from '../store/store.js';
import { type OpsContext, withStore } from './context.js';
import { requireContainer } from './find-container.js';

/** docker's NetworkSettings: the address and the published ports of a running bridged container. */
function networkSettings(attached: AttachedNetwork | undefined, mode: string, aliases: string[]): Record<string, unknown> {
  const ip = attached?.result?.ips?.[0];
  const [address = '', prefix] = ip?.address.split('/') ?? [];
  const mac = attached?.result?.interfaces?.find((i) => i.name === 'eth0')?.mac ?? '';
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of attached?.ports ?? []) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIP, HostPort: String(p.hostPort) });
  const endpoint = { Aliases: aliases, IPAddress: address, IPPrefixLen: prefix ? Number(prefix) : 0, Gateway: ip?.gateway ?? '', MacAddress: mac };
  return { IPAddress: address, Gateway: ip?.gateway ?? '', MacAddress: mac, Ports: ports, Networks: { [mode]: endpoint } };
}

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : '0001-01-01T00:00:00Z');

export function describeContainer(store: Store, rec: Container): Record<string, unknown> {
  const c = refresh(store, rec);
  const l = containerLayout(store.paths, c.id);
  const o = c.spec.options;
  const lowers = c.layers.map((chain) => store.snapshots.get(chain)?.dir ?? '').reverse();
  return {
    Id: c.id,
    Created: iso(c.createdAt),
    Path: c.command[0] ?? '',
    Args: c.command.slice(1),
    State: {
      Status: c.state,
      Running: c.state === 'running',
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: c.pid ?? 0,
      // -1 when nobody saw it end (its monitor died first), as wait prints.
      ExitCode: c.exitCode ?? (c.state === 'exited' ? -1 : 0),
      Error: '',
      StartedAt: iso(c.startedAt),
      FinishedAt: iso(c.finishedAt),
    },
    Image: c.imageId,
    ResolvConfPath: l.resolvConf,
    HostnamePath: l.hostname,
    HostsPath: l.hosts,
    LogPath: l.log,
    Name: `/${c.name}`,
    Driver: 'overlay',
    Platform: 'linux',
    HostConfig: {
      Binds: o.mounts.filter((m) => m.type === 'bind').map((m) => `${m.source}:${m.destination}${m.readOnly ? ':ro' : ''}`),
      NetworkMode: o.network,
      AutoRemove: c.autoRemove,
      Privileged: o.privileged,
      ReadonlyRootfs: o.readOnly,
      CapAdd: o.capAdd,
      CapDrop: o.capDrop,
      Tmpfs: Object.fromEntries(o.mounts.filter((m) => m.type === 'tmpfs').map((m) => [m.destination, m.type === 'tmpfs' ? m.options.join(',') : ''])),
    },
    GraphDriver: { Name: 'overlay', Data: { LowerDir: lowers.join(':'), UpperDir: l.upper, WorkDir: l.work, MergedDir: l.rootfs } },
    Mounts: o.mounts.map((m) =>
      m.type === 'bind'
        ? { Type: 'bind', Source: m.source, Destination: m.destination, RW: !m.readOnly, Propagation: m.propagation ?? 'rprivate' }
        : { Type: 'tmpfs', Source: '', Destination: m.destination, RW: !m.options.includes('ro') },
    ),
    Config: {
      Hostname: c.spec.hostname,
      User: o.user ?? '',
      Tty: c.spec.process.terminal,
      OpenStdin: o.interactive,
      Env: c.spec.process.env,
      Cmd: c.command,
      Image: c.image,
      WorkingDir: c.spec.process.cwd,
      Entrypoint: o.entrypoint !== undefined ? [o.entrypoint] : null,
      Labels: c.labels,
      ...(c.spec.stopSignal ? { StopSignal: c.spec.stopSignal } : {}),
    },
    NetworkSettings: networkSettings(c.state === 'running' ? readAttached(l) : undefined, o.network, o.networkAliases ?? []),
  };
}

export function inspectContainers(ctx: OpsContext, refs: string[]): { found: Record<string, unknown>[]; errors: SkiffError[] } {
  return withStore(ctx, (store) => {
    const found: Record<string, unknown>[] = [];
    const errors: SkiffError[] = [];
    for (const ref of refs) {
      try {
        found.push(describeContainer(store, requireContainer(store, ref)));
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        errors.push(err);
      }
    }
    return { found, errors };
  });
}
