// What a container's directory records of its CNI network while it is attached (network.json),
// read by start, stop, ps, port, inspect and the hosts files of its network's members.
import { existsSync, readFileSync } from 'node:fs';
import type { CniResult, NetworkList } from '../network/cni.js';
import { DEFAULT_ALIAS, DEFAULT_NETWORK } from '../network/network-config.js';
import type { PortSpec } from '../network/ports.js';
import type { ContainerLayout } from '../runtime/container-layout.js';

/** The CNI network a --network mode attaches to at start, if any: `bridge` is the default network. */
export function cniNetworkOf(mode: string): string | undefined {
  if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) return undefined;
  return mode === DEFAULT_ALIAS ? DEFAULT_NETWORK : mode;
}

/** What a bridged container's directory keeps of its network while it is attached. */
export interface AttachedNetwork {
  /** The network's name; absent in records from before user networks (the default one). */
  network?: string;
  /** The plugin list ADD ran, for DEL. */
  list?: NetworkList;
  /** Rootless: the slirp4netns process that gives the namespace its network, and its API socket. */
  slirp?: { pid: number; start: number | null; apiSocket: string };
  /** Absent while ADD is under way (the owner is written first). */
  result?: CniResult;
  /** Published ports, with the host ports chosen for this run. */
  ports: PortSpec[];
  /** Names this attachment (one per start), so that a late exit command can tell it is not its own. */
  attachment?: string;
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

/** The container's address on its network (without the prefix length). */
export function containerAddress(result: CniResult | undefined): string | undefined {
  return result?.ips?.[0]?.address.split('/')[0];
}
