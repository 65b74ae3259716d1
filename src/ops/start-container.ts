// start: a foreground start is runc run waited on by this process; a detached one is handed to
// conmon, which holds stdio, writes the log and records the exit code, so no Node process stays.
import { mkdirSync, rmSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { createWithConmon } from '../runtime/conmon.js';
import { K8sLogWriter, type OutputSinks, relayOutput } from '../runtime/k8s-log-writer.js';
import { type ContainerLayout, containerLayout } from '../runtime/container-layout.js';
import { writeBridgeHosts } from '../runtime/etc-files.js';
import { checkExecutable } from '../runtime/find-executable.js';
import { isMountPoint } from '../runtime/overlay.js';
import {
  type Runc,
  cannotStart,
  deleteState,
  exitStatus,
  runcCommand,
  runtimeError,
  runtimeErrorExitCode,
  runtimePath,
  shortRuntimeError,
  spawnRun,
} from '../runtime/runc.js';
import { processStat } from '../runtime/runc-state.js';
import type { SpawnedProcess, Stdio } from '../sys/spawn.js';
import type { Store } from '../store/store.js';
import { destroyContainer } from './container-cleanup.js';
import type { Container } from './container-options.js';
import { refresh } from './container-status.js';
import { type OpsContext, networkStore } from './context.js';
import { attachNetwork, detachNetwork, publishedByOthers, releaseStaleNetworks } from './container-network.js';
import { cniNetworkOf, containerAddress, readAttached } from './attached-network.js';
import { refreshNetworkHosts } from './network-hosts.js';
import { DEFAULT_NETWORK } from '../network/network-config.js';
import { mountRootfs } from './create-container.js';
import { joinNetwork } from './join-network.js';

export function runcFor(ctx: OpsContext, store: Store): Runc {
  return { bin: runtimePath(ctx.env), root: store.paths.runc, env: { PATH: ctx.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } };
}

/**
 * Checks and readies a container to start: mounted, no stale runc state, no old exit record.
 * A container this process has just created (`run`) has none of those to check.
 */
async function prepareStart(ctx: OpsContext, store: Store, runc: Runc, c: Container, fresh: boolean): Promise<ContainerLayout> {
  const l = containerLayout(store.paths, c.id);
  if (!fresh) {
    if (refresh(store, c).state === 'running') throw new SkiffError('conflict', `container ${c.name} is already running`);
    await deleteState(runc, c.id);
    if (!isMountPoint(l.rootfs)) mountRootfs(store, l, { layers: c.layers.map((chainId) => ({ chainId })) }, { volatile: c.autoRemove, env: ctx.env });
    for (const f of [l.runcLog, `${l.exitDir}/${c.id}`]) rmSync(f, { force: true });
  }
  const p = c.spec.process;
  checkExecutable({
    root: l.rootfs,
    command: p.args[0] ?? '',
    env: p.env,
    cwd: p.cwd,
    hidden: c.spec.options.mounts.map((m) => m.destination),
  });
  if (c.spec.networkOf) joinNetwork(store, c, l);
  const network = cniNetworkOf(c.spec.options.network);
  if (network !== undefined) {
    const config = networkStore(ctx).get(network);
    // A killed skiff's containers may still hold addresses and port rules: give them back first.
    await releaseStaleNetworks(store, store.containers.list<Container['spec']>().filter((o) => o.id !== c.id).map((o) => refresh(store, o)));
    const attached = await attachNetwork(store, c, config, publishedByOthers(store, c.id));
    if (network === DEFAULT_NETWORK) writeBridgeHosts(l, c.spec.hostname, containerAddress(attached.result), c.spec.options);
    else await refreshNetworkHosts(store, network);
  }
  return l;
}

function markRunning(store: Store, c: Container, monitor: 'skiff' | 'conmon', monitorPid: number, pid: number | null): void {
  const ok = store.containers.update(
    c.id,
    {
      state: 'running',
      monitor,
      monitorPid,
      monitorStart: processStat(monitorPid)?.start ?? null,
      pid,
      pidStart: pid !== null ? (processStat(pid)?.start ?? null) : null,
      exitCode: null,
      startedAt: Date.now(),
      finishedAt: null,
    },
    { state: ['created', 'exited'] },
  );
  if (!ok) throw new SkiffError('conflict', `container ${c.name} was started or removed by another command`);
}

/** Records an exit and, for --rm containers, removes the container. */
/** `settled`: the runtime's processes are done with it (a foreground runc has returned). */
export async function finish(store: Store, runc: Runc, c: Container, exitCode: number | null, settled: boolean): Promise<void> {
  await detachNetwork(store, c.id);
  // An --rm container's record goes at once: its exit is never shown (`wait` reports a
  // removed container's code as unknown), and one write fewer is one less on every run.
  if (c.autoRemove) {
    if (store.containers.get(c.id)) await destroyContainer(store, runc, c.id, settled);
    return;
  }
  store.containers.update(c.id, { state: 'exited', exitCode, pid: null, pidStart: null, monitorPid: null, monitorStart: null, finishedAt: Date.now() }, { state: ['running'] });
}

export interface Foreground {
  child: SpawnedProcess;
  /** Resolves with the container's exit code; rejects with a SkiffError if it could not start. */
  done: Promise<number>;
}

/** An --rm container that failed to start (a missing command, a taken port) goes, as docker's does; one already running stays. */
async function removeIfUnstarted(store: Store, runc: Runc, c: Container, err: unknown): Promise<never> {
  const rec = store.containers.get<Container['spec']>(c.id);
  if (c.autoRemove && rec && refresh(store, rec).state !== 'running') await destroyContainer(store, runc, c.id);
  throw err;
}

/** Starts the container in the foreground: runc run as a child of this process. */
export async function startForeground(ctx: OpsContext, store: Store, c: Container, stdio: Stdio, output?: OutputSinks, fresh = false): Promise<Foreground> {
  const runc = runcFor(ctx, store);
  const l = await prepareStart(ctx, store, runc, c, fresh).catch((err: unknown) => removeIfUnstarted(store, runc, c, err));
  markRunning(store, c, 'skiff', process.pid, null);
  // Without a terminal, output passes through skiff into the container's log as well, so
  // `logs` shows a foreground container's output as it does a detached one's (as docker's).
  // With -t, runc owns the caller's terminal and nothing is logged.
  const tee = output !== undefined && !c.spec.process.terminal;
  const cannotRun = async (err: unknown): Promise<never> => {
    await finish(store, runc, c, null, true);
    throw cannotStart(runc, err);
  };
  let child: SpawnedProcess;
  try {
    child = spawnRun(runc, { id: c.id, bundle: l.bundle, logFile: l.runcLog, stdio: tee ? [stdio[0], 'pipe', 'pipe'] : stdio });
  } catch (err) {
    return cannotRun(err);
  }
  const relayed = tee ? relayOutput(child, output, new K8sLogWriter(l.log)) : Promise.resolve();
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(exitStatus(code, signal)));
  })
    .then(async (code) => {
      await relayed;
      return code;
    })
    .then(
    async (code) => {
      const failure = code !== 0 ? runtimeError(l.runcLog) : undefined;
      const exitCode = failure ? runtimeErrorExitCode(failure) : code;
      await finish(store, runc, c, exitCode, true);
      // runc printed its error on the stderr it shares with the container.
      if (failure) throw new SkiffError('internal', shortRuntimeError(failure), { exitCode, reported: true });
      return exitCode;
    },
    cannotRun,
  );
  return { child, done };
}

/** Starts the container under conmon and returns once it runs; nothing of this process stays. */
export async function startDetached(ctx: OpsContext, store: Store, c: Container, fresh = false): Promise<void> {
  const runc = runcFor(ctx, store);
  const l = await prepareStart(ctx, store, runc, c, fresh).catch((err: unknown) => removeIfUnstarted(store, runc, c, err));
  // The exit command names this start's network attachment: run after a restart, it must leave the new one be.
  const attachment = readAttached(l)?.attachment;
  mkdirSync(l.exitDir, { recursive: true });
  mkdirSync(l.conmonDir, { recursive: true });
  try {
    const started = await createWithConmon({
      id: c.id,
      name: c.name,
      bundle: l.bundle,
      runtime: runc.bin,
      runtimeRoot: runc.root,
      logPath: l.log,
      exitDir: l.exitDir,
      persistDir: l.conmonDir,
      terminal: c.spec.process.terminal,
      stdin: c.spec.options.interactive,
      ...(ctx.selfCommand ? { exitCommand: [...ctx.selfCommand, '--root', ctx.root, 'container', 'cleanup', ...(attachment ? ['--attachment', attachment] : []), c.id] } : {}),
      env: { PATH: ctx.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    markRunning(store, c, 'conmon', started.conmonPid, started.pid);
    await runcCommand(runc, ['start', c.id], l.runcLog);
  } catch (err) {
    await finish(store, runc, c, err instanceof SkiffError ? err.exitCode : null, false);
    throw err;
  }
}
