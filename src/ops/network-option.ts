// --network NAME at create: the network must exist, and is kept by name (an ID prefix the
// user typed is resolved now); --ip must be a host address of its subnet.
import { SkiffError } from '../errors.js';
import { DEFAULT_ALIAS, DEFAULT_NETWORK } from '../network/network-config.js';
import { isHostAddress, parseSubnet } from '../network/subnets.js';
import { inUserNamespace } from '../sys/rootless-identity.js';
import { cniNetworkOf } from './attached-network.js';
import type { CreateOptions } from './container-options.js';
import { type OpsContext, networkStore } from './context.js';

export function resolveNetworkOption(ctx: OpsContext, opts: CreateOptions): CreateOptions {
  const wanted = cniNetworkOf(opts.network);
  // The default network needs no lookup unless an address in it is asked for.
  if (wanted === undefined || (opts.network === DEFAULT_ALIAS && opts.ip === undefined && !opts.networkAliases?.length)) return opts;
  if (opts.ip !== undefined && inUserNamespace()) throw new SkiffError('unsupported', '--ip is not available rootless: slirp4netns gives every container 10.0.2.100');
  const n = networkStore(ctx).get(wanted);
  if (n.name !== DEFAULT_NETWORK && inUserNamespace()) {
    throw new SkiffError('unsupported', `user networks are not available rootless yet: use the default network (slirp4netns), --network none or --network host`);
  }
  if (n.name === DEFAULT_NETWORK && opts.networkAliases?.length) {
    throw new SkiffError('usage', '--network-alias needs a user network: the default network resolves no names');
  }
  if (opts.ip !== undefined && !isHostAddress(parseSubnet(n.subnet), opts.ip)) {
    throw new SkiffError('usage', `invalid --ip ${opts.ip}: not a host address of network ${n.name} (${n.subnet})`);
  }
  return { ...opts, network: n.name === DEFAULT_NETWORK ? DEFAULT_ALIAS : n.name };
}
