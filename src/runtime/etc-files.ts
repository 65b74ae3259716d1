// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, bind-mounted over the image's.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ContainerLayout } from './container-layout.js';
import { SLIRP_DNS } from '../network/slirp.js';

/** `slirp`: a rootless container's default network, whose resolver is slirp4netns's. */
export type EtcNetwork = 'none' | 'host' | 'bridge' | 'slirp';

function readHost(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const LOCAL_HOSTS = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`;

/**
 * The host's resolv.conf without loopback nameservers, which a container on a bridge cannot
 * reach (as docker filters them); Google's resolvers when none is left, as docker does.
 */
export function bridgeResolvConf(host: string | undefined): string {
  const lines = (host ?? '').split('\n').filter((line) => !/^\s*nameserver\s+(127\.|::1\b)/.test(line));
  const kept = lines.join('\n').trim();
  return /^\s*nameserver\s/m.test(kept) ? `${kept}\n` : `${kept ? `${kept}\n` : ''}nameserver 8.8.8.8\nnameserver 8.8.4.4\n`;
}

/** What --dns, --dns-search and --add-host ask of the files. */
export interface EtcOptions {
  // Optional: containers created before these flags existed have none.
  dns?: string[];
  dnsSearch?: string[];
  /** host:ip pairs, as --add-host takes them. */
  addHosts?: string[];
}

export const NO_ETC_OPTIONS: EtcOptions = { dns: [], dnsSearch: [], addHosts: [] };

function extraHosts(o: EtcOptions): string {
  return (o.addHosts ?? [])
    .map((h) => {
      const i = h.indexOf(':');
      return `${h.slice(i + 1)}\t${h.slice(0, i)}\n`;
    })
    .join('');
}

/** --dns replaces the nameservers, --dns-search the search domains; the rest of the base stays. */
export function resolvConf(base: string, o: EtcOptions): string {
  let lines = base.split('\n').filter((l) => l.trim() !== '');
  const dns = o.dns ?? [];
  const search = o.dnsSearch ?? [];
  if (dns.length > 0) lines = [...lines.filter((l) => !/^\s*nameserver\s/.test(l)), ...dns.map((d) => `nameserver ${d}`)];
  if (search.length > 0) lines = [...lines.filter((l) => !/^\s*(search|domain)\s/.test(l)), `search ${search.join(' ')}`];
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Another container on the same network, by the names it answers to. */
export interface HostsPeer {
  address: string;
  names: string[];
}

/**
 * A bridged container's /etc/hosts, naming its own address once it has one, and its peers on
 * a user network. Written in place: the file is bind-mounted, and a new inode would not be seen.
 */
export function writeBridgeHosts(l: ContainerLayout, hostname: string, address: string | undefined, o: EtcOptions = NO_ETC_OPTIONS, self: string[] = [], peers: HostsPeer[] = []): void {
  const own = [hostname, ...self.filter((n) => n !== hostname)].join(' ');
  const others = peers.map((p) => `${p.address}\t${p.names.join(' ')}\n`).join('');
  writeFileSync(l.hosts, `${LOCAL_HOSTS}${address ?? '127.0.1.1'}\t${own}\n${others}${extraHosts(o)}`);
}

export function writeEtcFiles(l: ContainerLayout, hostname: string, network: EtcNetwork, o: EtcOptions = NO_ETC_OPTIONS): void {
  if (network === 'bridge' || network === 'slirp') {
    writeBridgeHosts(l, hostname, undefined, o);
    const base = network === 'slirp' ? `nameserver ${SLIRP_DNS}\n` : bridgeResolvConf(readHost('/etc/resolv.conf'));
    writeFileSync(l.resolvConf, resolvConf(base, o));
  } else if (network === 'host') {
    // The host's network: its names and resolvers, as docker gives a --network host container.
    writeFileSync(l.hosts, `${readHost('/etc/hosts') ?? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`}${extraHosts(o)}`);
    writeFileSync(l.resolvConf, resolvConf(readHost('/etc/resolv.conf') ?? '', o));
  } else {
    writeFileSync(l.hosts, `${LOCAL_HOSTS}127.0.1.1\t${hostname}\n${extraHosts(o)}`);
    // No network: nothing to resolve through, unless asked. An empty file keeps resolvers from reaching the host's.
    writeFileSync(l.resolvConf, resolvConf('', o));
  }
  writeFileSync(l.hostname, `${hostname}\n`);
}
