// skiff's default bridge network: the standard CNI plugins (Debian's containernetworking-plugins)
// give each container a veth on the skiff0 bridge, an address from host-local IPAM, NAT to the
// outside and the firewall plugin's forwarding rules; loopback is brought up separately.
import type { NetworkList } from './cni.js';

export const CNI_PLUGIN_DIR = '/usr/lib/cni';
export const BRIDGE_NAME = 'skiff0';
export const BRIDGE_SUBNET = '10.89.0.0/16';
export const BRIDGE_GATEWAY = '10.89.0.1';
export const BRIDGE_PREFIX = 16;
// The bridge and its addresses are the host's, whatever skiff root a container belongs to:
// leases live in one host-wide directory (host-local locks it), so two roots never collide.
export const IPAM_DIR = '/run/skiff/cni';

export const LOOPBACK: NetworkList = { cniVersion: '1.0.0', name: 'loopback', plugins: [{ type: 'loopback' }] };

export const DEFAULT_BRIDGE: NetworkList = {
  cniVersion: '1.0.0',
  name: 'skiff',
  plugins: [
    {
      type: 'bridge',
      bridge: BRIDGE_NAME,
      // --ip: host-local takes a requested address as the ips capability.
      capabilities: { ips: true },
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: BRIDGE_SUBNET, gateway: BRIDGE_GATEWAY }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: IPAM_DIR,
      },
    },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    { type: 'firewall' },
  ],
};
