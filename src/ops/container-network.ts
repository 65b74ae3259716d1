// A bridged container's network: set up before runc starts it (namespace file, loopback, the
// bridge network), torn down after it exits or is removed. Teardown is idempotent and uses
// what ADD returned, kept in the container's directory, so a later command can finish it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type CniResult, type CniRuntime, cniAdd, cniDel } from '../network/cni.js';
import { CNI_PLUGIN_DIR, DEFAULT_BRIDGE, LOOPBACK } from '../network/bridge.js';
import { createNetns, removeNetns } from '../network/netns.js';
import type { ContainerLayout } from '../runtime/container-layout.js';

function runtime(l: ContainerLayout, id: string, ifName: string): CniRuntime {
  return { containerId: id, netns: l.netns, ifName, pluginDir: CNI_PLUGIN_DIR };
}

/** The container's address on the bridge (without the prefix length). */
export function containerAddress(result: CniResult): string | undefined {
  return result.ips?.[0]?.address.split('/')[0];
}

export async function attachNetwork(l: ContainerLayout, id: string): Promise<CniResult> {
  await detachNetwork(l, id);
  await createNetns(l.netns);
  try {
    await cniAdd(LOOPBACK, runtime(l, id, 'lo'));
    const result = await cniAdd(DEFAULT_BRIDGE, runtime(l, id, 'eth0'));
    writeFileSync(l.network, JSON.stringify(result));
    return result;
  } catch (err) {
    await detachNetwork(l, id).catch(() => {});
    throw err;
  }
}

/** Releases the address, the veth and the rules, then the namespace. Quiet when nothing is attached. */
export async function detachNetwork(l: ContainerLayout, id: string): Promise<void> {
  if (!existsSync(l.netns) && !existsSync(l.network)) return;
  let prev: CniResult | undefined;
  try {
    prev = JSON.parse(readFileSync(l.network, 'utf8')) as CniResult;
  } catch {
    prev = undefined;
  }
  // DEL works without a namespace or a result too: host-local frees the lease by container ID.
  // On failure the result stays, so that the next rm or start can try again with it.
  try {
    await cniDel(DEFAULT_BRIDGE, runtime(l, id, 'eth0'), prev);
    rmSync(l.network, { force: true });
  } finally {
    removeNetns(l.netns);
  }
}
