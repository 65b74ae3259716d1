// network create, ls, inspect, rm and prune. A network is in use while any container of the
// store names it, running or not (its next start would need it), as podman counts it.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { removeNetworkHost } from '../network/host-rules.js';
import { DEFAULT_NETWORK, IPAM_DIR, type NetworkConfig } from '../network/network-config.js';
import type { NewNetwork } from '../network/network-store.js';
import { containerLayout } from '../runtime/container-layout.js';
import type { Store } from '../store/store.js';
import { cniNetworkOf, readAttached } from './attached-network.js';
import { type Filters, labelMatches, nameMatches, parseKeyFilters } from './container-filters.js';
import type { Container } from './container-options.js';
import { type OpsContext, networkStore, withStore } from './context.js';
import { removeContainers } from './remove-containers.js';
import { inUserNamespace } from '../sys/rootless-identity.js';

export function createNetwork(ctx: OpsContext, opts: NewNetwork): Promise<NetworkConfig> {
  if (inUserNamespace()) return Promise.reject(new SkiffError('unsupported', 'user networks are not available rootless yet: containers use the default network (slirp4netns), none or host'));
  return networkStore(ctx).create(opts);
}

const FILTER_KEYS = new Set(['name', 'id', 'label', 'driver']);

export function parseNetworkFilters(flags: string[]): Filters {
  return parseKeyFilters(flags, FILTER_KEYS);
}

function matches(n: NetworkConfig, filters: Filters): boolean {
  for (const [key, values] of filters) {
    const ok = values.some((v) => (key === 'name' ? nameMatches(n.name, v) : key === 'id' ? n.id.startsWith(v) : key === 'label' ? labelMatches(n.labels, v) : n.driver === v));
    if (!ok) return false;
  }
  return true;
}

export function listNetworks(ctx: OpsContext, filters: Filters = new Map()): NetworkConfig[] {
  return networkStore(ctx)
    .list()
    .filter((n) => matches(n, filters));
}

function usersOf(store: Store, n: NetworkConfig): Container[] {
  return store.containers.list<Container['spec']>().filter((c) => cniNetworkOf(c.spec.options.network) === n.name);
}

/** docker's form of a network. */
function describe(store: Store, n: NetworkConfig): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const c of usersOf(store, n)) {
    const result = readAttached(containerLayout(store.paths, c.id))?.result;
    if (!result) continue;
    containers[c.id] = {
      Name: c.name,
      MacAddress: result.interfaces?.find((i) => i.name === 'eth0')?.mac ?? '',
      IPv4Address: result.ips?.[0]?.address ?? '',
      IPv6Address: '',
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'host-local', Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Containers: containers,
    Options: { bridge: n.bridge },
    Labels: n.labels,
  };
}

export function inspectNetworks(ctx: OpsContext, refs: string[]): { found: Record<string, unknown>[]; errors: SkiffError[] } {
  const networks = networkStore(ctx);
  return withStore(ctx, (store) => {
    const found: Record<string, unknown>[] = [];
    const errors: SkiffError[] = [];
    for (const ref of refs) {
      try {
        found.push(describe(store, networks.get(ref)));
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        errors.push(err);
      }
    }
    return { found, errors };
  });
}

/** Host-local's lease directory, once it holds no lease (its lock and last-reserved files only). */
function removeLeaseDir(n: NetworkConfig): void {
  const dir = join(IPAM_DIR, n.name);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  if (entries.every((e) => e === 'lock' || e.startsWith('last_reserved_ip'))) rmSync(dir, { recursive: true, force: true });
}

async function removeOne(ctx: OpsContext, n: NetworkConfig, force: boolean): Promise<void> {
  if (n.name === DEFAULT_NETWORK) throw new SkiffError('conflict', `the default network ${DEFAULT_NETWORK} cannot be removed`);
  const users = withStore(ctx, (store) => usersOf(store, n));
  if (users.length > 0) {
    if (!force) {
      throw new SkiffError('conflict', `network ${n.name} has containers attached: ${users.map((c) => c.name).join(', ')} (remove them first, or use network rm -f)`);
    }
    const res = await removeContainers(ctx, users.map((c) => c.id), true);
    if (res.errors.length > 0) throw res.errors[0]!;
  }
  networkStore(ctx).remove(n);
  await removeNetworkHost(n);
  removeLeaseDir(n);
}

export async function removeNetworks(ctx: OpsContext, refs: string[], force: boolean): Promise<{ done: string[]; errors: SkiffError[] }> {
  const done: string[] = [];
  const errors: SkiffError[] = [];
  for (const ref of refs) {
    try {
      await removeOne(ctx, networkStore(ctx).get(ref), force);
      done.push(ref);
    } catch (err) {
      if (!(err instanceof SkiffError)) throw err;
      errors.push(err);
    }
  }
  return { done, errors };
}

/** Every user network no container names. */
export async function pruneNetworks(ctx: OpsContext): Promise<{ done: string[]; errors: SkiffError[] }> {
  const unused = withStore(ctx, (store) => listNetworks(ctx).filter((n) => n.name !== DEFAULT_NETWORK && usersOf(store, n).length === 0));
  return removeNetworks(
    ctx,
    unused.map((n) => n.name),
    false,
  );
}
