// port: the host ports a running container publishes, optionally for one of its ports.
import { SkiffError } from '../errors.js';
import type { PortSpec, Protocol } from '../network/ports.js';
import { containerLayout } from '../runtime/container-layout.js';
import { readAttached } from './attached-network.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { requireContainer } from './find-container.js';

export function containerPorts(ctx: OpsContext, ref: string, only?: string): PortSpec[] {
  let want: { port: number; protocol: Protocol } | undefined;
  if (only !== undefined) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(only);
    if (!m) throw new SkiffError('usage', `invalid port ${JSON.stringify(only)}: expected PORT or PORT/tcp|udp`);
    want = { port: Number(m[1]), protocol: (m[2] ?? 'tcp') as Protocol };
  }
  return withStore(ctx, (store) => {
    const c = refresh(store, requireContainer(store, ref));
    const ports = c.state === 'running' ? (readAttached(containerLayout(store.paths, c.id))?.ports ?? []) : [];
    if (!want) return ports;
    const found = ports.filter((p) => p.containerPort === want.port && p.protocol === want.protocol);
    if (found.length === 0) throw new SkiffError('not-found', `no public port ${want.port}/${want.protocol} published for ${c.name}`);
    return found;
  });
}
