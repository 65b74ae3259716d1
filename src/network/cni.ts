// The CNI protocol (containernetworking.io): each plugin of a network's list is run with the
// command in its environment and its configuration on stdin; ADD chains each result into the
// next plugin as prevResult, DEL runs the list backwards with the result ADD gave.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';

export interface NetworkList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { interface?: number; address: string; gateway?: string }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifName: string;
  pluginDir: string;
  /** Passed to plugins that declare the capability (portMappings, …), as runtimeConfig. */
  capabilityArgs?: Record<string, unknown>;
  /**
   * The namespace file is still to be made: the first plugin runs under unshare(1), which makes
   * the namespace and binds it to the file before the plugin starts (one process fewer).
   */
  newNetns?: boolean;
}

function pluginConfig(list: NetworkList, plugin: Record<string, unknown>, rt: CniRuntime, prevResult: CniResult | undefined): Buffer {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const caps = plugin.capabilities as Record<string, boolean> | undefined;
  if (caps && rt.capabilityArgs) {
    const runtimeConfig: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rt.capabilityArgs)) if (caps[k]) runtimeConfig[k] = v;
    if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  }
  if (prevResult) conf.prevResult = prevResult;
  return Buffer.from(JSON.stringify(conf));
}

function runPlugin(command: 'ADD' | 'DEL', type: string, config: Buffer, rt: CniRuntime): Promise<string> {
  const plugin = join(rt.pluginDir, type);
  return new Promise((resolve, reject) => {
    const child = process.getBuiltinModule('node:child_process').spawn(rt.newNetns ? 'unshare' : plugin, rt.newNetns ? [`--net=${rt.netns}`, '--', plugin] : [], {
      env: {
        CNI_COMMAND: command,
        CNI_CONTAINERID: rt.containerId,
        CNI_NETNS: rt.netns,
        CNI_IFNAME: rt.ifName,
        CNI_PATH: rt.pluginDir,
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new SkiffError('internal', `cannot run the CNI plugin ${type}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve(out);
      // A failing plugin prints {"code": N, "msg": "...", "details": "..."} on stdout.
      let msg = err.trim() || `exited ${code}`;
      try {
        const e = JSON.parse(out) as { msg?: string; details?: string };
        if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
      } catch {
        // not JSON
      }
      reject(new SkiffError('internal', `network setup failed (${type} ${command}): ${msg}`));
    });
    child.stdin!.end(config);
  });
}

export async function cniAdd(list: NetworkList, rt: CniRuntime): Promise<CniResult> {
  let result: CniResult | undefined;
  let first = true;
  for (const plugin of list.plugins) {
    const out = await runPlugin('ADD', String(plugin.type), pluginConfig(list, plugin, rt, result), first ? rt : { ...rt, newNetns: false });
    first = false;
    result = JSON.parse(out) as CniResult;
  }
  if (!result) throw new SkiffError('internal', `network ${list.name} has no plugins`);
  return result;
}

/** Runs DEL for every plugin, last first; every plugin is asked even when one fails. */
export async function cniDel(list: NetworkList, rt: CniRuntime, prevResult: CniResult | undefined): Promise<void> {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await runPlugin('DEL', String(plugin.type), pluginConfig(list, plugin, rt, prevResult), rt);
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}

const PLUGIN_NAMES = new Set(['bridge', 'host-local', 'portmap', 'loopback', 'firewall', 'unshare']);

/**
 * CNI plugins still at work for a container: what a skiff killed in the middle of ADD leaves
 * running. Found by the CNI_CONTAINERID in their environment (comm first, so that only a
 * handful of environments are read).
 */
export function pluginsRunningFor(containerId: string): number[] {
  const needle = `CNI_CONTAINERID=${containerId}\0`;
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!PLUGIN_NAMES.has(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
