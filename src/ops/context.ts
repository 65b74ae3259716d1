// What every operation needs from its caller, injected rather than read from globals.
import { RegistryClient, isLoopbackHost } from '../registry/client.js';
import { lookupCredentials } from '../registry/docker-config.js';
import type { RetryPolicy } from '../registry/retry.js';
import { openStore, type Store } from '../store/store.js';

export interface OpsContext {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Hosts (host or host:port) where plain HTTP is allowed, besides loopback. */
  insecureRegistries: string[];
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** argv that runs this skiff again (conmon's exit command uses it). */
  selfCommand?: string[];
}

export function withStore<T>(ctx: OpsContext, fn: (store: Store) => T): T {
  const store = openStore(ctx.root);
  let closeNow = true;
  try {
    const out = fn(store);
    if (out instanceof Promise) {
      closeNow = false;
      return out.finally(() => store.close()) as T;
    }
    return out;
  } finally {
    if (closeNow) store.close();
  }
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
