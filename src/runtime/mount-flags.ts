// -v, --mount and --tmpfs as docker reads them, turned into the mounts the spec builder takes.
import { isAbsolute, resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import type { MountSpec } from '../oci/runtime-spec.js';

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function usage(message: string): SkiffError {
  return new SkiffError('usage', message);
}

function absolute(path: string, what: string, flag: string): string {
  if (!isAbsolute(path)) throw usage(`invalid ${flag} ${JSON.stringify(what)}: ${JSON.stringify(path)} is not an absolute path`);
  return path;
}

/** -v SRC:DST[:OPTS]. Only host paths: a name would be a named volume, which skiff does not have yet. */
export function parseVolume(flag: string): MountSpec & { type: 'bind' } {
  const parts = flag.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
    throw usage(`invalid volume ${JSON.stringify(flag)}: expected SRC:DST[:ro]`);
  }
  const [src, dst, opts = ''] = parts as [string, string, string?];
  if (!src.startsWith('/') && !src.startsWith('.')) {
    throw usage(`invalid volume ${JSON.stringify(flag)}: named volumes are not supported; give an absolute host path`);
  }
  let readOnly = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro' || o === 'rw') readOnly = o === 'ro';
    else if (PROPAGATIONS.has(o)) propagation = o;
    else if (o === 'z' || o === 'Z') continue; // SELinux relabelling: nothing to do without SELinux
    else throw usage(`invalid volume ${JSON.stringify(flag)}: unknown option ${JSON.stringify(o)}`);
  }
  return {
    type: 'bind',
    source: src.startsWith('.') ? resolve(src) : src,
    destination: absolute(dst, flag, 'volume'),
    readOnly,
    createSource: true,
    ...(propagation ? { propagation } : {}),
  };
}

/** --mount type=bind|tmpfs,source=…,target=…,readonly,… (the CSV form docker takes). */
export function parseMount(flag: string): MountSpec {
  const kv = new Map<string, string>();
  for (const field of flag.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    if (!key) continue;
    kv.set(key, eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const take = (...keys: string[]) => keys.map((k) => kv.get(k)).find((v) => v !== undefined);
  const type = kv.get('type') ?? 'volume';
  const target = take('target', 'destination', 'dst');
  if (!target) throw usage(`invalid mount ${JSON.stringify(flag)}: target is required`);
  const readOnly = ['true', '1'].includes(take('readonly', 'ro') ?? 'false');
  const known = new Set(['type', 'source', 'src', 'target', 'destination', 'dst', 'readonly', 'ro', 'bind-propagation', 'tmpfs-size', 'tmpfs-mode']);
  for (const k of kv.keys()) if (!known.has(k)) throw usage(`invalid mount ${JSON.stringify(flag)}: unknown field ${JSON.stringify(k)}`);
  if (type === 'bind') {
    const source = take('source', 'src');
    if (!source) throw usage(`invalid mount ${JSON.stringify(flag)}: source is required for a bind mount`);
    const propagation = kv.get('bind-propagation');
    if (propagation && !PROPAGATIONS.has(propagation)) throw usage(`invalid mount ${JSON.stringify(flag)}: unknown bind-propagation ${JSON.stringify(propagation)}`);
    return {
      type: 'bind',
      source: absolute(source, flag, 'mount'),
      destination: absolute(target, flag, 'mount'),
      readOnly,
      ...(propagation ? { propagation } : {}),
    };
  }
  if (type === 'tmpfs') {
    const options: string[] = [];
    const size = kv.get('tmpfs-size');
    const mode = kv.get('tmpfs-mode');
    if (size) options.push(`size=${size}`);
    if (mode) options.push(`mode=${mode}`);
    if (readOnly) options.push('ro');
    return { type: 'tmpfs', destination: absolute(target, flag, 'mount'), options };
  }
  throw usage(`invalid mount ${JSON.stringify(flag)}: type ${JSON.stringify(type)} is not supported (bind or tmpfs)`);
}

/** --tmpfs DST[:OPTIONS], options as mount(8) takes them (size=64m,mode=1777). */
export function parseTmpfs(flag: string): MountSpec {
  const colon = flag.indexOf(':');
  const dst = colon < 0 ? flag : flag.slice(0, colon);
  const options = colon < 0 ? [] : flag.slice(colon + 1).split(',').filter(Boolean);
  return { type: 'tmpfs', destination: absolute(dst, flag, 'tmpfs'), options };
}

/** -l k=v labels (a bare key is an empty label, as docker does). */
export function parseLabels(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of flags) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    if (!key) throw usage(`invalid label ${JSON.stringify(l)}: empty key`);
    out[key] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

/** Lines of an --env-file: K=V or K, comments and blank lines skipped. */
export function parseEnvFile(text: string, file: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (!line || line.startsWith('#')) continue;
    const key = line.split('=', 1)[0]!;
    if (!key || /\s/.test(key)) throw usage(`invalid line in env file ${file}: ${JSON.stringify(line)}`);
    out.push(line);
  }
  return out;
}
