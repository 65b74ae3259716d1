// IPv4 subnets as numbers: parsing a CIDR, telling whether two overlap, and which subnets the
// host already routes (a new network must not shadow a route the host depends on).
import { readFileSync } from 'node:fs';
import { isIP } from '../sys/ip.js';
import { SkiffError } from '../errors.js';

export interface Subnet {
  /** The network address, as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function formatSubnet(s: Subnet): string {
  return `${numberToIp(s.base)}/${s.prefix}`;
}

/** `what` names the flag in the error: a subnet with host bits set is refused, as docker does. */
export function parseSubnet(cidr: string, what = 'subnet'): Subnet {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new SkiffError('usage', `invalid ${what} ${JSON.stringify(cidr)}: expected an IPv4 CIDR such as 10.90.0.0/24`);
  if (isIP(m[1]!) === 6) throw new SkiffError('unsupported', `invalid ${what} ${cidr}: IPv6 networks are not supported`);
  const prefix = Number(m[2]);
  if (isIP(m[1]!) !== 4 || prefix > 30 || prefix < 8) {
    throw new SkiffError('usage', `invalid ${what} ${JSON.stringify(cidr)}: expected an IPv4 CIDR with a prefix from /8 to /30`);
  }
  const ip = ipToNumber(m[1]!);
  const base = ip - (ip % 2 ** (32 - prefix));
  if (base !== ip) {
    throw new SkiffError('usage', `invalid ${what} ${cidr}: it has host bits set; the network is ${numberToIp(base)}/${prefix}`);
  }
  return { base, prefix };
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(s: Subnet, ip: string): boolean {
  const n = ipToNumber(ip);
  return n >= s.base && n < s.base + size(s);
}

/** An address a container or gateway can have: in the subnet, neither its network nor its broadcast address. */
export function isHostAddress(s: Subnet, ip: string): boolean {
  const n = ipToNumber(ip);
  return isIP(ip) === 4 && n > s.base && n < s.base + size(s) - 1;
}

export function firstHost(s: Subnet): string {
  return numberToIp(s.base + 1);
}

/** The host's routed IPv4 subnets (not the default route), with the interface that holds each. */
export function hostRoutes(routeTable = '/proc/net/route'): { subnet: Subnet; iface: string }[] {
  let text: string;
  try {
    text = readFileSync(routeTable, 'utf8');
  } catch {
    return [];
  }
  const routes: { subnet: Subnet; iface: string }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!iface || !dest || !mask || mask === '00000000') continue;
    // Little-endian hex, as the kernel prints it.
    const le = (hex: string) => Buffer.from(hex, 'hex').readUInt32LE(0);
    const m = le(mask);
    const prefix = m.toString(2).replace(/0+$/, '').length;
    routes.push({ subnet: { base: le(dest), prefix }, iface });
  }
  return routes;
}

/** The first /24 of 10.90.0.0/16 that overlaps nothing taken. */
export function freeSubnet(taken: Subnet[]): Subnet {
  const start = ipToNumber('10.90.0.0');
  for (let i = 0; i < 256; i++) {
    const candidate = { base: start + i * 256, prefix: 24 };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new SkiffError('conflict', 'no free subnet left in 10.90.0.0/16: give one with --subnet');
}
