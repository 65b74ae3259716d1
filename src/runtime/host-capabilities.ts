// The capabilities this process can hand a container: its bounding set. --privileged asks for
// all of them, as podman does; asking runc for one outside the set fails every start.
import { readFileSync } from 'node:fs';
import { ALL_CAPABILITIES } from '../oci/runtime-spec.js';

/** Names of the capabilities in /proc/self/status CapBnd; undefined when it cannot be read. */
export function boundingCapabilities(): string[] | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text);
  if (!m) return undefined;
  const mask = BigInt(`0x${m[1]}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
