// A container's CNI network: set up before runc starts it (namespace file, loopback, the
// network's bridge), torn down after it exits or is removed. Teardown is idempotent and uses
// what ADD was given and returned, kept in the container's directory, so a later command can
// finish it whatever became of the network's config since.
import { randomHex } from '../sys/random.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type CniResult, type CniRuntime, cniAdd, cniDel, pluginsRunningFor } from '../network/cni.js';
import { CNI_PLUGIN_DIR, DEFAULT_NETWORK, LOOPBACK, type NetworkConfig, attachList, defaultNetwork } from '../network/network-config.js';
import { ensureNetworkRules } from '../network/host-rules.js';
import { SLIRP_GATEWAY, SLIRP_GUEST, forwardPorts, startSlirp } from '../network/slirp.js';
import { inUserNamespace } from '../sys/rootless-identity.js';
import { type PortSpec, allocatePorts, portMappings } from '../network/ports.js';
import { netnsMountPoint, removeNetns } from '../network/netns.js';
import { withFileLock } from '../sys/libc.js';
import { processStartMatches, processStat } from '../runtime/runc-state.js';
import { type ContainerLayout, containerLayout, networkFile } from '../runtime/container-layout.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import { type AttachedNetwork, readAttached } from './attached-network.js';
import { refreshNetworkHosts } from './network-hosts.js';

function runtime(l: ContainerLayout, id: string, ifName: string, ports: PortSpec[] = [], ip?: string, prefix?: string): CniRuntime {
  const capabilityArgs: Record<string, unknown> = {};
  if (ports.length > 0) capabilityArgs.portMappings = portMappings(ports);
  if (ip) capabilityArgs.ips = [`${ip}/${prefix}`];
  return { containerId: id, netns: l.netns, ifName, pluginDir: CNI_PLUGIN_DIR, ...(Object.keys(capabilityArgs).length > 0 ? { capabilityArgs } : {}) };
}

/** network.json, replaced whole: a reader must never see half of it (and take a live start for a dead one). */
function writeAttached(l: ContainerLayout, a: AttachedNetwork): void {
  const tmp = `${l.network}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(a));
  renameSync(tmp, l.network);
}

/**
 * `taken`: ports other containers publish now (their iptables rules hold them without a
 * socket). Done holding the container's network lock, so that a command releasing stale
 * networks waits for it and then sees a live owner.
 */
export function attachNetwork(store: Store, c: Container, network: NetworkConfig, taken: PortSpec[]): Promise<AttachedNetwork & { result: CniResult }> {
  const l = containerLayout(store.paths, c.id);
  return withFileLock(`${l.dir}/network.lock`, async () => {
    await detachLocked(store, c.id, l, {});
    const ports = await allocatePorts(c.spec.ports ?? [], taken);
    const rootless = inUserNamespace();
    const list = rootless ? undefined : attachList(network, ports.length > 0);
    // Who attaches is written before anything is made: a command that finds the namespace
    // while this one is still at work must see that its owner lives, and leave it be.
    const owner = { pid: process.pid, start: processStat('self')?.start ?? null };
    const attachment = randomHex(8);
    const base: AttachedNetwork = { network: network.name, attachment, ...(list ? { list } : {}), ports, owner };
    writeAttached(l, base);
    try {
      netnsMountPoint(l.netns);
      if (rootless) {
        await cniAdd(LOOPBACK, { ...runtime(l, c.id, 'lo'), newNetns: true });
        // Recorded before the ports are forwarded: a failure from here on must stop it.
        const slirp = await startSlirp(l.netns, `${l.netns}.sock`);
        const withSlirp = { ...base, slirp: { pid: slirp.pid, start: processStat(slirp.pid)?.start ?? null, apiSocket: slirp.apiSocket } };
        writeAttached(l, withSlirp);
        await forwardPorts(slirp, ports);
        const attached = { ...withSlirp, result: SLIRP_RESULT };
        writeAttached(l, attached);
        return attached;
      }
      await Promise.all([ensureNetworkRules(network), cniAdd(LOOPBACK, { ...runtime(l, c.id, 'lo'), newNetns: true })]);
      const result = await cniAdd(list!, runtime(l, c.id, 'eth0', ports, c.spec.options.ip, network.subnet.split('/')[1]));
      const attached = { ...base, result };
      writeAttached(l, attached);
      return attached;
    } catch (err) {
      await detachLocked(store, c.id, l, {}).catch(() => {});
      throw err;
    }
  });
}

/** What ps, port and inspect read of a slirp4netns container: its fixed address. */
const SLIRP_RESULT: CniResult = { cniVersion: '1.0.0', interfaces: [{ name: 'tap0' }], ips: [{ address: `${SLIRP_GUEST}/24`, gateway: SLIRP_GATEWAY }] };

/** Waits (up to 5 s) for the CNI plugins a dead attacher left running for the container. */
async function pluginsFinished(id: string): Promise<void> {
  for (let i = 0; i < 250 && pluginsRunningFor(id).length > 0; i++) await sleep(20);
}

/** SIGTERM, and SIGKILL if it has not gone after a second; resolves once it is gone. */
async function stopProcess(pid: number, start: number | null): Promise<void> {
  for (let i = 0; i < 100 && processStartMatches(pid, start); i++) {
    try {
      process.kill(pid, i < 50 ? (i === 0 ? 'SIGTERM' : 0) : 'SIGKILL');
    } catch {
      return;
    }
    await sleep(20);
  }
}

/** Running containers that joined this one's namespace with --network container:ID. */
function joinedByRunning(store: Store, id: string): boolean {
  return store.containers
    .list<Container['spec']>()
    .some((o) => o.spec.networkOf === id && o.state === 'running' && refresh(store, o).state === 'running');
}

export interface DetachOptions {
  /** Detach only this attachment (see AttachedNetwork.attachment): a late exit command after a restart leaves the new one be. */
  attachment?: string;
  /** Leave it be while the process that attached it lives: a start under way. */
  unlessAttaching?: boolean;
}

/** Returns the network it detached from, if any. The caller holds the container's network lock. */
async function detachLocked(store: Store, id: string, l: ContainerLayout, o: DetachOptions): Promise<string | undefined> {
  if (!existsSync(l.netns) && !existsSync(l.network)) return undefined;
  const attached = readAttached(l);
  if (o.attachment !== undefined && attached?.attachment !== o.attachment) return undefined;
  if (o.unlessAttaching && attached?.owner && processStartMatches(attached.owner.pid, attached.owner.start)) return undefined;
  // An attacher killed mid-ADD leaves its plugins running: they would allocate after our DEL.
  if (attached?.owner && attached.owner.pid !== process.pid) await pluginsFinished(id);
  // Rootless, a record without slirp4netns is a start that failed before it (CNI cannot attach there): nothing on the host to release.
  if (attached?.slirp || inUserNamespace()) {
    const slirp = attached?.slirp;
    if (slirp) await stopProcess(slirp.pid, slirp.start);
    removeNetns(l.netns);
    if (slirp) rmSync(slirp.apiSocket, { force: true });
    rmSync(l.network, { force: true });
    return undefined;
  }
  const list = attached?.list ?? attachList(defaultNetwork(), (attached?.ports.length ?? 0) > 0);
  // Unbinding the namespace first lets the kernel take the veth down in the background, and
  // the bridge plugin, finding no namespace, only frees the address. Not while another
  // container shares the namespace: then its veth must go now, before the address is reused.
  const joined = joinedByRunning(store, id);
  if (!joined) removeNetns(l.netns);
  // DEL works without a namespace or a result too: host-local frees the lease by container ID.
  // On failure the record stays, so that the next rm or start can try again with it.
  try {
    await cniDel(list, runtime(l, id, 'eth0', attached?.ports), attached?.result);
    rmSync(l.network, { force: true });
  } finally {
    if (joined) removeNetns(l.netns);
  }
  return attached?.network ?? DEFAULT_NETWORK;
}

/**
 * Releases the address and the port rules, then the namespace, and tells the network's other
 * members. Quiet when nothing is attached. rm and conmon's exit command may both get here at
 * once (rm -f kills the container, which runs the exit command): a lock per container makes
 * the second one find the work done, where two DELs at once would fail on each other's
 * half-deleted rules.
 */
export async function detachNetwork(store: Store, id: string, o: DetachOptions = {}): Promise<void> {
  const l = containerLayout(store.paths, id);
  if (!existsSync(l.netns) && !existsSync(l.network)) return;
  // The hosts files are rewritten outside the container's lock: their lock is the network's.
  const left = await withFileLock(`${l.dir}/network.lock`, () => detachLocked(store, id, l, o));
  if (left) await refreshNetworkHosts(store, left);
}

/** Host ports the store's other attached containers publish. */
export function publishedByOthers(store: Store, id: string): PortSpec[] {
  return store.containers
    .list<Container['spec']>()
    .filter((c) => c.id !== id && c.state === 'running')
    .flatMap((c) => readAttached(containerLayout(store.paths, c.id))?.ports ?? []);
}

/**
 * Hands back the networks of containers that no longer run and that nobody is starting: what
 * a skiff killed while it waited on a container (or before conmon's exit command ran) left.
 * Cheap when there is nothing to do: one stat per container that is not running.
 */
export async function releaseStaleNetworks(store: Store, containers: Container[]): Promise<void> {
  for (const c of containers) {
    // network.json is written before the namespace is made and removed only after: one stat tells.
    if (c.state === 'running' || !existsSync(networkFile(store.paths, c.id))) continue;
    // A start under way: checked again under the container's lock, but most are seen here without waiting for it.
    const owner = readAttached(containerLayout(store.paths, c.id))?.owner;
    if (owner && processStartMatches(owner.pid, owner.start)) continue;
    await detachNetwork(store, c.id, { unlessAttaching: true }).catch(() => {
      // left for rm, which reports what fails
    });
  }
}
