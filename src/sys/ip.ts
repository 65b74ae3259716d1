// node:net loads (with node:stream under it, ~2 ms) where a command first uses a socket: most
// commands, and `run` without --ip, --dns or --add-host, check no address at all.

/** 4 or 6 for an IP address of that family, else 0 (node:net's isIP). */
export function isIP(address: string): number {
  return process.getBuiltinModule('node:net').isIP(address);
}
