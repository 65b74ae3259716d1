// Name resolution on a user network: every attached member's /etc/hosts names the others by
// container name, aliases and short ID, rewritten whenever a member comes or goes. The
// default network resolves no names, as docker's and podman's do not.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DEFAULT_NETWORK } from '../network/network-config.js';
import { type HostsPeer, writeBridgeHosts } from '../runtime/etc-files.js';
import { containerLayout } from '../runtime/container-layout.js';
import { withFileLock } from '../sys/libc.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';
import { cniNetworkOf, containerAddress, readAttached } from './attached-network.js';

function namesOf(c: Container): string[] {
  const names = [c.name, ...(c.spec.options.networkAliases ?? []), c.id.slice(0, 12)];
  return [...new Set(names)];
}

/** Members are the containers whose network record holds an address on `network` now. */
function members(store: Store, network: string): { c: Container; address: string }[] {
  const out: { c: Container; address: string }[] = [];
  for (const c of store.containers.list<Container['spec']>()) {
    if (cniNetworkOf(c.spec.options.network) !== network) continue;
    const address = containerAddress(readAttached(containerLayout(store.paths, c.id))?.result);
    if (address) out.push({ c, address });
  }
  return out;
}

export function refreshNetworkHosts(store: Store, network: string): Promise<void> {
  if (network === DEFAULT_NETWORK) return Promise.resolve();
  const locks = join(store.paths.root, 'run', 'networks');
  mkdirSync(locks, { recursive: true, mode: 0o700 });
  // One writer per network at a time, so that two members starting at once each end up in the other's file.
  return withFileLock(join(locks, `${network}.lock`), async () => {
    const all = members(store, network);
    for (const { c, address } of all) {
      const peers: HostsPeer[] = all.filter((m) => m.c.id !== c.id).map((m) => ({ address: m.address, names: namesOf(m.c) }));
      writeBridgeHosts(containerLayout(store.paths, c.id), c.spec.hostname, address, c.spec.options, namesOf(c), peers);
    }
  });
}
