// The networks of one config dir: a .conflist file each. Creating one is done under a lock,
// so that two creates at once cannot both take a name or a subnet.
import { randomHex } from '../sys/random.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { withFileLock } from '../sys/libc.js';
import {
  DEFAULT_ALIAS,
  DEFAULT_NETWORK,
  type NetworkConfig,
  type StoredNetworkList,
  bridgeName,
  checkNetworkName,
  defaultNetwork,
  fromConflist,
  isNetworkNameShape,
  toConflist,
} from './network-config.js';
import { type Subnet, firstHost, formatSubnet, freeSubnet, hostRoutes, isHostAddress, overlaps, parseSubnet } from './subnets.js';

export interface NewNetwork {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

const SUFFIX = '.conflist';

export class NetworkStore {
  constructor(readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, `${name}${SUFFIX}`);
  }

  private read(file: string): NetworkConfig {
    let list: StoredNetworkList;
    try {
      list = JSON.parse(readFileSync(file, 'utf8')) as StoredNetworkList;
    } catch (err) {
      throw new SkiffError('store', `cannot read network config ${file}: ${(err as Error).message}`);
    }
    return fromConflist(list, file);
  }

  private write(n: NetworkConfig): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const tmp = `${this.file(n.name)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(toConflist(n), null, 2)}\n`);
    renameSync(tmp, this.file(n.name));
  }

  /** The default network's file is written the first time it is wanted, so that it can be read and edited like the others. */
  private defaultNetwork(): NetworkConfig {
    const file = this.file(DEFAULT_NETWORK);
    if (existsSync(file)) return this.read(file);
    const n = defaultNetwork();
    this.write(n);
    return n;
  }

  list(): NetworkConfig[] {
    const names = existsSync(this.dir) ? readdirSync(this.dir).filter((f) => f.endsWith(SUFFIX)) : [];
    const others = names.filter((f) => f !== `${DEFAULT_NETWORK}${SUFFIX}`).map((f) => this.read(join(this.dir, f)));
    return [this.defaultNetwork(), ...others.sort((a, b) => a.name.localeCompare(b.name))];
  }

  /** By name (`bridge` is the default network), full ID or a unique ID prefix. */
  find(ref: string): NetworkConfig | undefined {
    if (ref === DEFAULT_ALIAS || ref === DEFAULT_NETWORK) return this.defaultNetwork();
    if (isNetworkNameShape(ref) && existsSync(this.file(ref))) return this.read(this.file(ref));
    if (!/^[0-9a-f]{1,64}$/.test(ref)) return undefined;
    const byId = this.list().filter((n) => n.id.startsWith(ref));
    if (byId.length > 1) throw new SkiffError('conflict', `network ID prefix ${ref} is ambiguous: it matches ${byId.map((n) => n.name).join(', ')}`);
    return byId[0];
  }

  get(ref: string): NetworkConfig {
    const n = this.find(ref);
    if (!n) throw new SkiffError('not-found', `network ${ref} not found`);
    return n;
  }

  create(opts: NewNetwork): Promise<NetworkConfig> {
    checkNetworkName(opts.name);
    const subnet = opts.subnet !== undefined ? parseSubnet(opts.subnet) : undefined;
    if (opts.gateway !== undefined && subnet === undefined) throw new SkiffError('usage', '--gateway needs --subnet');
    if (opts.gateway !== undefined && !isHostAddress(subnet!, opts.gateway)) {
      throw new SkiffError('usage', `invalid --gateway ${opts.gateway}: not a host address of ${formatSubnet(subnet!)}`);
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    return withFileLock(join(this.dir, '.lock'), async () => {
      const existing = this.list();
      if (existing.some((n) => n.name === opts.name)) throw new SkiffError('conflict', `network ${opts.name} already exists`);
      const chosen = subnet ?? freeSubnet([...existing.map((n) => parseSubnet(n.subnet)), ...hostRoutes().map((r) => r.subnet)]);
      if (subnet) checkFree(subnet, existing);
      const id = randomHex(32);
      const n: NetworkConfig = {
        name: opts.name,
        id,
        driver: 'bridge',
        bridge: bridgeName(id),
        subnet: formatSubnet(chosen),
        gateway: opts.gateway ?? firstHost(chosen),
        internal: opts.internal ?? false,
        labels: opts.labels ?? {},
        created: new Date().toISOString(),
      };
      this.write(n);
      return n;
    });
  }

  remove(n: NetworkConfig): void {
    if (n.name === DEFAULT_NETWORK) throw new SkiffError('conflict', `the default network ${DEFAULT_NETWORK} cannot be removed`);
    rmSync(this.file(n.name), { force: true });
  }
}

function checkFree(subnet: Subnet, existing: NetworkConfig[]): void {
  const cidr = formatSubnet(subnet);
  for (const n of existing) {
    if (overlaps(subnet, parseSubnet(n.subnet))) throw new SkiffError('conflict', `subnet ${cidr} overlaps network ${n.name} (${n.subnet})`);
  }
  const bridges = new Set(existing.map((n) => n.bridge));
  for (const r of hostRoutes()) {
    if (!bridges.has(r.iface) && overlaps(subnet, r.subnet)) {
      throw new SkiffError('conflict', `subnet ${cidr} overlaps the host's route to ${formatSubnet(r.subnet)} on ${r.iface}`);
    }
  }
}
