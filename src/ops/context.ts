// What every operation needs from its caller, injected rather than read from globals.
import { RegistryClient, isLoopbackHost } from '../registry/client.js';
import { lookupCredentials } from '../registry/docker-config.js';
import type { RetryPolicy } from '../registry/retry.js';
import { openStore, type Store } from '../store/store.js';
import { NetworkStore } from '../network/network-store.js';

export interface OpsContext {
  root: string;
  /** Configuration: the networks' .conflist files live in its networks/ dir. */
  configDir: string;
  env: NodeJS.ProcessEnv;
  /** Hosts (host or host:port) where plain HTTP is allowed, besides loopback. */
  insecureRegistries: string[];
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** argv that runs this skiff again (conmon's exit command uses it). */
  selfCommand?: string[];
}

// One open store per root and process, shared by nested operations (run = create + start):
// opening the database, and closing it (a WAL checkpoint with two fsyncs), are a good part
// of `run --rm`'s own time, so a command pays for them once.
const openStores = new Map<string, { store: Store; users: number }>();

export function withStore<T>(ctx: OpsContext, fn: (store: Store) => T): T {
  let entry = openStores.get(ctx.root);
  if (!entry) {
    entry = { store: openStore(ctx.root), users: 0 };
    openStores.set(ctx.root, entry);
  }
  const held = entry;
  held.users++;
  const release = () => {
    if (--held.users === 0) {
      openStores.delete(ctx.root);
      held.store.close();
    }
  };
  let releaseNow = true;
  try {
    const out = fn(held.store);
    if (out instanceof Promise) {
      releaseNow = false;
      return out.finally(release) as T;
    }
    return out;
  } finally {
    if (releaseNow) release();
  }
}

export function networkStore(ctx: OpsContext): NetworkStore {
  return new NetworkStore(`${ctx.configDir}/networks`);
}

export function registryClient(ctx: OpsContext, domain: string): RegistryClient {
  const host = domain.toLowerCase();
  const insecure = isLoopbackHost(host) || ctx.insecureRegistries.some((h) => h.toLowerCase() === host || h.toLowerCase() === host.replace(/:\d+$/, ''));
  const credentials = lookupCredentials(domain, ctx.env);
  return new RegistryClient({
    domain,
    insecure,
    ...(credentials ? { credentials } : {}),
    ...(ctx.retry ? { retry: ctx.retry } : {}),
    ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
    userAgent: 'skiff/0.1',
  });
}
