// Finds the container a user names: its name, full ID or an unambiguous ID prefix.
import { SkiffError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Container, ContainerSpec } from './container-options.js';

export function requireContainer(store: Store, ref: string): Container {
  const found = store.containers.find<ContainerSpec>(ref);
  if (found.length === 0) throw new SkiffError('not-found', `no such container: ${ref}`);
  if (found.length > 1) throw new SkiffError('conflict', `container ID prefix ${JSON.stringify(ref)} is ambiguous (${found.length} containers match)`);
  return found[0]!;
}
