// kill, stop and wait: signals go through runc (which knows the container's pid namespace);
// exits are observed from runc's state and the monitor's record, by polling: no daemon sends events.
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../errors.js';
import { runcCommand } from '../runtime/runc.js';
import type { Store } from '../store/store.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import type { OpsContext } from './context.js';
import { eachContainer } from './each-container.js';
import { requireContainer } from './find-container.js';
import { startContainer } from './run-container.js';
import { runcFor } from './start-container.js';

const POLL_MS = 50;

/** "TERM", "SIGTERM", "15" -> "SIGTERM"; unknown names are a usage error. */
export function parseSignal(s: string): NodeJS.Signals {
  const upper = s.toUpperCase();
  if (/^\d+$/.test(s)) {
    const name = Object.entries(constants.signals).find(([, n]) => n === Number(s))?.[0];
    if (name) return name as NodeJS.Signals;
  } else {
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (name in constants.signals) return name as NodeJS.Signals;
  }
  throw new SkiffError('usage', `invalid signal: ${s}`);
}

function requireRunning(store: Store, ref: string): Container {
  const c = refresh(store, requireContainer(store, ref));
  if (c.state !== 'running') throw new SkiffError('conflict', `container ${c.name} is not running`);
  return c;
}

export function killContainers(ctx: OpsContext, refs: string[], signal: string): Promise<{ done: string[]; errors: SkiffError[] }> {
  const sig = parseSignal(signal);
  return eachContainer(ctx, refs, async (store, ref) => {
    const c = requireRunning(store, ref);
    await runcCommand(runcFor(ctx, store), ['kill', c.id, sig]);
  });
}

/** Polls until the container is no longer running; returns its record, or undefined when it is gone. */
export async function waitExit(store: Store, id: string, deadline = Infinity): Promise<Container | undefined> {
  for (;;) {
    const rec = store.containers.get<Container['spec']>(id);
    if (!rec) return undefined;
    const c = refresh(store, rec);
    if (c.state !== 'running') return c;
    if (Date.now() >= deadline) return c;
    await sleep(POLL_MS);
  }
}

export interface StopOptions { timeoutSeconds?: number; signal?: string }

export function stopContainers(ctx: OpsContext, refs: string[], o: StopOptions): Promise<{ done: string[]; errors: SkiffError[] }> {
  return eachContainer(ctx, refs, async (store, ref) => {
    const c = refresh(store, requireContainer(store, ref));
    if (c.state !== 'running') return; // docker: stopping a stopped container succeeds
    await stopOne(ctx, store, c, o);
  });
}

/** The stop signal, then after the grace period SIGKILL; resolves once the exit is recorded. */
export async function stopOne(ctx: OpsContext, store: Store, c: Container, o: StopOptions): Promise<void> {
  const runc = runcFor(ctx, store);
  const sig = parseSignal(o.signal ?? c.spec.stopSignal ?? 'SIGTERM');
  const grace = (o.timeoutSeconds ?? 10) * 1000;
  await runcCommand(runc, ['kill', c.id, sig]).catch(ignoreGone);
  const after = await waitExit(store, c.id, Date.now() + grace);
  if (after?.state === 'running') {
    // SIGKILL to the container's init takes its whole PID namespace down. `kill --all` would
    // walk the cgroup, which a rootless container on a cgroup v1 host does not have.
    await runcCommand(runc, ['kill', c.id, 'SIGKILL']).catch(ignoreGone);
    await waitExit(store, c.id);
  }
}

// The container may exit between our look and runc's: that is what we wanted.
function ignoreGone(err: unknown): void {
  if (err instanceof SkiffError && /not running|does not exist|container not found/i.test(err.message)) return;
  throw err;
}

/** restart: stop (if running), then start in the background, as docker restart does. */
export function restartContainers(ctx: OpsContext, refs: string[], o: StopOptions): Promise<{ done: string[]; errors: SkiffError[] }> {
  return eachContainer(ctx, refs, async (store, ref) => {
    const c = refresh(store, requireContainer(store, ref));
    if (c.state === 'running') await stopOne(ctx, store, c, o);
    await startContainer(ctx, c.id, { detach: true });
  });
}

export function waitContainers(ctx: OpsContext, refs: string[], onExit: (ref: string, code: number | null) => void): Promise<{ done: string[]; errors: SkiffError[] }> {
  return eachContainer(ctx, refs, async (store, ref) => {
    const c = requireContainer(store, ref);
    const after = await waitExit(store, c.id);
    // An --rm container is gone once it exits; its code is then unknown to us.
    onExit(ref, after ? after.exitCode : null);
  });
}
