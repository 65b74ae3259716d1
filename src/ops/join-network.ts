// --network container:NAME: at each start, the container joins the network namespace the
// other one has now (its namespace file when it is bridged, else its process's) and shares
// its /etc/hosts, /etc/resolv.conf and /etc/hostname, as docker's containers do: bound from
// the other's files, so that the names of a user network's members stay current in both.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import type { Spec } from '../oci/runtime-types.js';
import { type ContainerLayout, containerLayout } from '../runtime/container-layout.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';

export function joinNetwork(store: Store, c: Container, l: ContainerLayout): void {
  const targetId = c.spec.networkOf!;
  const rec = store.containers.get<Container['spec']>(targetId);
  if (!rec) throw new SkiffError('conflict', `cannot join the network of container ${targetId.slice(0, 12)}: it no longer exists`);
  const target = refresh(store, rec);
  if (target.state !== 'running' || target.pid === null) {
    throw new SkiffError('conflict', `cannot join the network of container ${target.name}: it is not running`);
  }
  const tl = containerLayout(store.paths, target.id);
  const path = existsSync(tl.netns) ? tl.netns : `/proc/${target.pid}/ns/net`;
  const spec = JSON.parse(readFileSync(l.config, 'utf8')) as Spec;
  for (const ns of spec.linux?.namespaces ?? []) if (ns.type === 'network') ns.path = path;
  const shared: Record<string, string> = { [l.hosts]: tl.hosts, [l.resolvConf]: tl.resolvConf, [l.hostname]: tl.hostname };
  for (const m of spec.mounts ?? []) if (m.source !== undefined && shared[m.source] !== undefined) m.source = shared[m.source];
  writeFileSync(l.config, JSON.stringify(spec));
}
