// A bridged container's network: set up before runc starts it (namespace file, loopback, the
// bridge network), torn down after it exits or is removed. Teardown is idempotent and uses
// what ADD returned, kept in the container's directory, so a later command can finish it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type CniResult, type CniRuntime, cniAdd, cniDel } from '../network/cni.js';
import { BRIDGE_PREFIX, CNI_PLUGIN_DIR, DEFAULT_BRIDGE, LOOPBACK } from '../network/bridge.js';
import { type PortSpec, allocatePorts, portMappings } from '../network/ports.js';
import { createNetns, removeNetns } from '../network/netns.js';
import { withFileLock } from '../sys/libc.js';
import { processStartMatches, processStat } from '../runtime/runc-state.js';
import { type ContainerLayout, containerLayout, networkFile } from '../runtime/container-layout.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';

function runtime(l: ContainerLayout, id: string, ifName: string, ports: PortSpec[] = [], ip?: string): CniRuntime {
  const capabilityArgs: Record<string, unknown> = {};
  if (ports.length > 0) capabilityArgs.portMappings = portMappings(ports);
  if (ip) capabilityArgs.ips = [`${ip}/${BRIDGE_PREFIX}`];
  return { containerId: id, netns: l.netns, ifName, pluginDir: CNI_PLUGIN_DIR, ...(Object.keys(capabilityArgs).length > 0 ? { capabilityArgs } : {}) };
}

/** What a bridged container's directory keeps of its network while it is attached. */
export interface AttachedNetwork {
  /** Absent while ADD is under way (the owner is written first). */
  result?: CniResult;
  /** Published ports, with the host ports chosen for this run. */
  ports: PortSpec[];
  /** The process that attached it, and its start time: while it lives, the start is under way. */
  owner?: { pid: number; start: number | null };
}

export function readAttached(l: Pick<ContainerLayout, 'network'>): AttachedNetwork | undefined {
  // ps asks for every running container: a stat is cheaper than a thrown ENOENT.
  if (!existsSync(l.network)) return undefined;
  try {
    return JSON.parse(readFileSync(l.network, 'utf8')) as AttachedNetwork;
  } catch {
    return undefined;
  }
}

/** The container's address on the bridge (without the prefix length). */
export function containerAddress(result: CniResult): string | undefined {
  return result.ips?.[0]?.address.split('/')[0];
}

/** `taken`: ports other containers publish now (their iptables rules hold them without a socket). */
export async function attachNetwork(l: ContainerLayout, id: string, wanted: PortSpec[], taken: PortSpec[], ip?: string): Promise<AttachedNetwork & { result: CniResult }> {
  await detachNetwork(l, id);
  const ports = await allocatePorts(wanted, taken);
  // Who attaches is written before anything is made: a command that finds the namespace
  // while this one is still at work must see that its owner lives, and leave it be.
  const owner = { pid: process.pid, start: processStat('self')?.start ?? null };
  writeFileSync(l.network, JSON.stringify({ ports, owner } satisfies AttachedNetwork));
  try {
    await createNetns(l.netns);
    await cniAdd(LOOPBACK, runtime(l, id, 'lo'));
    const attached = { result: await cniAdd(DEFAULT_BRIDGE, runtime(l, id, 'eth0', ports, ip)), ports, owner };
    writeFileSync(l.network, JSON.stringify(attached));
    return attached;
  } catch (err) {
    await detachNetwork(l, id).catch(() => {});
    throw err;
  }
}

/**
 * Releases the address, the veth and the rules, then the namespace. Quiet when nothing is
 * attached. rm and conmon's exit command may both get here at once (rm -f kills the
 * container, which runs the exit command): a lock per container makes the second one find
 * the work done, where two DELs at once would fail on each other's half-deleted rules.
 */
export function detachNetwork(l: ContainerLayout, id: string): Promise<void> {
  if (!existsSync(l.netns) && !existsSync(l.network)) return Promise.resolve();
  return withFileLock(`${l.dir}/network.lock`, async () => {
    if (!existsSync(l.netns) && !existsSync(l.network)) return;
    const attached = readAttached(l);
    // DEL works without a namespace or a result too: host-local frees the lease by container ID.
    // On failure the result stays, so that the next rm or start can try again with it.
    try {
      await cniDel(DEFAULT_BRIDGE, runtime(l, id, 'eth0', attached?.ports), attached?.result);
      rmSync(l.network, { force: true });
    } finally {
      removeNetns(l.netns);
    }
  });
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
    const l = containerLayout(store.paths, c.id);
    const owner = readAttached(l)?.owner;
    if (owner && processStartMatches(owner.pid, owner.start)) continue;
    await detachNetwork(l, c.id).catch(() => {
      // left for rm, which reports what fails
    });
  }
}
