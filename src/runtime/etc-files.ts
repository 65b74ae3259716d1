// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, bind-mounted over the image's.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ContainerLayout } from './container-layout.js';

export type EtcNetwork = 'none' | 'host' | 'bridge';

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

/** A bridged container's /etc/hosts, naming its own address once it has one. */
export function writeBridgeHosts(l: ContainerLayout, hostname: string, address: string | undefined): void {
  writeFileSync(l.hosts, `${LOCAL_HOSTS}${address ?? '127.0.1.1'}\t${hostname}\n`);
}

export function writeEtcFiles(l: ContainerLayout, hostname: string, network: EtcNetwork): void {
  if (network === 'bridge') {
    writeBridgeHosts(l, hostname, undefined);
    writeFileSync(l.resolvConf, bridgeResolvConf(readHost('/etc/resolv.conf')));
  } else if (network === 'host') {
    // The host's network: its names and resolvers, as docker gives a --network host container.
    writeFileSync(l.hosts, readHost('/etc/hosts') ?? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
    writeFileSync(l.resolvConf, readHost('/etc/resolv.conf') ?? '');
  } else {
    writeFileSync(l.hosts, `${LOCAL_HOSTS}127.0.1.1\t${hostname}\n`);
    // No network: nothing to resolve through. An empty file keeps resolvers from reaching the host's.
    writeFileSync(l.resolvConf, '');
  }
  writeFileSync(l.hostname, `${hostname}\n`);
}
