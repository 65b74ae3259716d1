// A network's host-side rules, set once per network rather than per container (as docker's
// are): masquerading what leaves its subnet, and letting its traffic through FORWARD even
// when the host's policy drops. The bridge plugin's ipMasq and the firewall plugin would make
// and undo a chain per container, a good part of every run's time; these rules cost one check
// of a marker file under /run (gone at reboot, as the rules are).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { SkiffError } from '../errors.js';
import { withFileLock } from '../sys/libc.js';
import type { NetworkConfig } from './network-config.js';

/** A command's output; node:child_process loads with the first. */
function run(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(process.getBuiltinModule('node:child_process').execFile)(file, args, { encoding: 'utf8' });
}
const RULES_DIR = '/run/skiff/rules';
const FORWARD_CHAIN = 'SKIFF-FORWARD';
const NAT_CHAIN = 'SKIFF-POSTROUTING';

type Table = 'filter' | 'nat';

function iptables(table: Table, args: string[]): Promise<{ stdout: string }> {
  return run('iptables', ['-w', '-t', table, ...args]);
}

async function succeeds(table: Table, args: string[]): Promise<boolean> {
  try {
    await iptables(table, args);
    return true;
  } catch {
    return false;
  }
}

async function ensureChain(table: Table, chain: string, from: string): Promise<void> {
  if (!(await succeeds(table, ['-n', '-L', chain]))) await iptables(table, ['-N', chain]);
  if (!(await succeeds(table, ['-C', from, '-j', chain]))) await iptables(table, ['-I', from, '1', '-j', chain]);
}

function comment(n: NetworkConfig): string[] {
  return ['-m', 'comment', '--comment', `skiff:${n.bridge}`];
}

function rulesFor(n: NetworkConfig): [Table, string[]][] {
  const br = n.bridge;
  if (n.internal) {
    // First in the chain, ahead of other networks' accepts; inserted last rule first.
    return [
      ['filter', ['-I', FORWARD_CHAIN, '1', '-o', br, ...comment(n), '-j', 'DROP']],
      ['filter', ['-I', FORWARD_CHAIN, '1', '-i', br, ...comment(n), '-j', 'DROP']],
      ['filter', ['-I', FORWARD_CHAIN, '1', '-i', br, '-o', br, ...comment(n), '-j', 'ACCEPT']],
    ];
  }
  return [
    ['filter', ['-A', FORWARD_CHAIN, '-i', br, ...comment(n), '-j', 'ACCEPT']],
    // Replies, and connections portmap forwarded to a published port.
    ['filter', ['-A', FORWARD_CHAIN, '-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', ...comment(n), '-j', 'ACCEPT']],
    ['nat', ['-A', NAT_CHAIN, '-s', n.subnet, '!', '-d', n.subnet, ...comment(n), '-j', 'MASQUERADE']],
  ];
}

function marker(n: NetworkConfig): string {
  return JSON.stringify({ subnet: n.subnet, internal: n.internal });
}

function markerFile(n: NetworkConfig): string {
  return `${RULES_DIR}/${n.bridge}`;
}

function markerSays(n: NetworkConfig): boolean {
  try {
    return readFileSync(markerFile(n), 'utf8') === marker(n);
  } catch {
    return false;
  }
}

async function deleteRules(n: NetworkConfig): Promise<void> {
  const tag = `skiff:${n.bridge}`;
  for (const [table, chain] of [['filter', FORWARD_CHAIN], ['nat', NAT_CHAIN]] as const) {
    if (!(await succeeds(table, ['-n', '-L', chain]))) continue;
    const { stdout } = await iptables(table, ['-S', chain]);
    // Our rules hold no spaces: -S prints them as space-separated words, the comment in quotes.
    for (const line of stdout.split('\n')) {
      const args = line.trim().split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1'));
      if (args[0] === '-A' && args.includes(tag)) await iptables(table, ['-D', ...args.slice(1)]);
    }
  }
}

function withRulesLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(RULES_DIR, { recursive: true, mode: 0o700 });
  return withFileLock(`${RULES_DIR}/.lock`, fn);
}

/** Sets the network's rules unless the marker says they are set. */
export async function ensureNetworkRules(n: NetworkConfig): Promise<void> {
  if (markerSays(n)) return;
  await withRulesLock(async () => {
    if (markerSays(n)) return;
    try {
      await ensureChain('filter', FORWARD_CHAIN, 'FORWARD');
      await ensureChain('nat', NAT_CHAIN, 'POSTROUTING');
      await deleteRules(n);
      for (const [table, args] of rulesFor(n)) await iptables(table, args);
    } catch (err) {
      throw new SkiffError('internal', `cannot set the firewall rules of network ${n.name}: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
    }
    writeFileSync(markerFile(n), marker(n));
  });
}

/** Removes the network's rules and its bridge device; quiet about what is already gone. */
export async function removeNetworkHost(n: NetworkConfig): Promise<void> {
  await withRulesLock(async () => {
    rmSync(markerFile(n), { force: true });
    await deleteRules(n);
  });
  if (existsSync(`/sys/class/net/${n.bridge}`)) await run('ip', ['link', 'del', n.bridge]).catch(() => {});
}
