// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, bind-mounted over the image's.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ContainerLayout } from './container-layout.js';

export type EtcNetwork = 'none' | 'host';

function readHost(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function writeEtcFiles(l: ContainerLayout, hostname: string, network: EtcNetwork): void {
  if (network === 'host') {
    // The host's network: its names and resolvers, as docker gives a --network host container.
    writeFileSync(l.hosts, readHost('/etc/hosts') ?? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
    writeFileSync(l.resolvConf, readHost('/etc/resolv.conf') ?? '');
  } else {
    writeFileSync(
      l.hosts,
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t${hostname}\n`,
    );
    // No network: nothing to resolve through. An empty file keeps resolvers from reaching the host's.
    writeFileSync(l.resolvConf, '');
  }
  writeFileSync(l.hostname, `${hostname}\n`);
}
