// For the network tests: host-side views of skiff's networks (HTTP from the host, free ports,
// links, host-local leases, iptables rules) and a busybox image to run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { IPAM_DIR } from '../../src/network/network-config.js';
import { busyboxLayer } from './busybox.js';
import { pushImage } from './push.js';
import { startRegistry, type RunningRegistry } from './registry.js';

export function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Lease files of host-local that name the container. */
export function leasesOf(id: string, network = 'skiff'): string[] {
  const dir = join(IPAM_DIR, network);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f) && readFileSync(join(dir, f), 'utf8').startsWith(id));
}

export function iptablesMentioning(id: string): string[] {
  const rules = [...execFileSync('iptables', ['-S'], { encoding: 'utf8' }).split('\n'), ...execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' }).split('\n')];
  return rules.filter((r) => r.includes(id));
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export function hostLinks(): string[] {
  return readdirSync('/sys/class/net');
}

/** A registry holding busybox as `net/busybox`, pulled into the store `ok` runs against. */
export async function pulledBusybox(ok: (...args: string[]) => Promise<unknown>): Promise<{ reg: RunningRegistry; img: string }> {
  const reg = await startRegistry();
  await pushImage(reg.url, 'net/busybox', 'latest', { layers: [{ tar: busyboxLayer() }] });
  const img = `${reg.host}/net/busybox:latest`;
  await ok('pull', '-q', img);
  return { reg, img };
}
