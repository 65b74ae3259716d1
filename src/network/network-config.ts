// A network as skiff keeps it: a CNI network list (a .conflist, which cnitool and other CNI
// runtimes read as it is) with skiff's own facts in one extra top-level key. The list holds
// the bridge plugin, with host-local IPAM, and portmap; masquerading and forwarding are
// skiff's per-network rules (host-rules.ts), so no plugin has per-container rules to undo.
import { sha256Hasher } from '../sys/sha256.js';
import { SkiffError } from '../errors.js';
import type { NetworkList } from './cni.js';

export const CNI_PLUGIN_DIR = '/usr/lib/cni';
// Leases live in one host-wide directory (host-local locks it): bridges and addresses are the
// host's, whatever skiff root a container belongs to.
export const IPAM_DIR = '/run/skiff/cni';

export const DEFAULT_NETWORK = 'skiff';
/** What --network takes for the default network, as docker's and podman's do. */
export const DEFAULT_ALIAS = 'bridge';
/** Modes --network takes that are not networks. */
export const RESERVED_NAMES = ['none', 'host', DEFAULT_ALIAS, 'container', 'default'];

export interface NetworkConfig {
  name: string;
  /** 64 hex digits. */
  id: string;
  driver: 'bridge';
  /** The host's bridge device. */
  bridge: string;
  subnet: string;
  gateway: string;
  /** No route out and no forwarding beyond the bridge. */
  internal: boolean;
  labels: Record<string, string>;
  /** ISO 8601. */
  created: string;
}

interface SkiffFacts {
  id: string;
  created: string;
  internal: boolean;
  labels: Record<string, string>;
}

export type StoredNetworkList = NetworkList & { skiff?: SkiffFacts };

/** The characters a network name may have (a file name in the networks dir, and a word of --network). */
export function isNetworkNameShape(name: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name);
}

export function checkNetworkName(name: string): void {
  if (!isNetworkNameShape(name) || name.length > 128) {
    throw new SkiffError('usage', `invalid network name ${JSON.stringify(name)}: use letters, digits, '_', '.' and '-', starting with a letter or digit`);
  }
  if (RESERVED_NAMES.includes(name)) throw new SkiffError('usage', `network name ${JSON.stringify(name)} is reserved`);
}

export function defaultNetwork(): NetworkConfig {
  return {
    name: DEFAULT_NETWORK,
    // Stable, so that every root and every host agree on it.
    id: sha256Hasher().update(`skiff network ${DEFAULT_NETWORK}`).digest('hex'),
    driver: 'bridge',
    bridge: 'skiff0',
    subnet: '10.89.0.0/16',
    gateway: '10.89.0.1',
    internal: false,
    labels: {},
    created: new Date().toISOString(),
  };
}

/** A user network's bridge: named from its ID, so two roots never pick the same (15 characters, the kernel's limit). */
export function bridgeName(id: string): string {
  return `sk-${id.slice(0, 12)}`;
}

export function toConflist(n: NetworkConfig): StoredNetworkList {
  return {
    cniVersion: '1.0.0',
    name: n.name,
    skiff: { id: n.id, created: n.created, internal: n.internal, labels: n.labels },
    plugins: [
      {
        type: 'bridge',
        bridge: n.bridge,
        // --ip: host-local takes a requested address as the ips capability.
        capabilities: { ips: true },
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: n.subnet, gateway: n.gateway }]],
          // An internal network's containers get no route out.
          routes: n.internal ? [] : [{ dst: '0.0.0.0/0' }],
          dataDir: IPAM_DIR,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

export function fromConflist(list: StoredNetworkList, file: string): NetworkConfig {
  const bridge = list.plugins.find((p) => p.type === 'bridge') as { bridge?: string; ipam?: { ranges?: { subnet?: string; gateway?: string }[][] } } | undefined;
  const range = bridge?.ipam?.ranges?.[0]?.[0];
  if (!list.name || !bridge?.bridge || !range?.subnet || !list.skiff?.id) {
    throw new SkiffError('store', `${file}: not a skiff network (a bridge plugin with a host-local range and skiff's facts are needed)`);
  }
  const subnet = range.subnet;
  return {
    name: list.name,
    id: list.skiff.id,
    driver: 'bridge',
    bridge: bridge.bridge,
    subnet,
    gateway: range.gateway ?? '',
    internal: list.skiff.internal === true,
    labels: list.skiff.labels ?? {},
    created: list.skiff.created,
  };
}

/** The list CNI runs for one container: portmap only when it publishes something. */
export function attachList(n: NetworkConfig, publishing: boolean): NetworkList {
  const list = toConflist(n);
  return {
    cniVersion: list.cniVersion,
    name: list.name,
    plugins: list.plugins.filter((p) => publishing || p.type !== 'portmap'),
  };
}

export const LOOPBACK: NetworkList = { cniVersion: '1.0.0', name: 'loopback', plugins: [{ type: 'loopback' }] };
