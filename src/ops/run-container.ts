// run = create + start; start finds a created or exited container and starts it again.
import type { OutputSinks } from '../runtime/k8s-log-writer.js';
import type { SpawnedProcess, Stdio } from '../sys/spawn.js';
import type { Container, CreateOptions } from './container-options.js';
import { type OpsContext, withStore } from './context.js';
import { type CreateHooks, createContainer } from './create-container.js';
import { refresh } from './container-status.js';
import { requireContainer } from './find-container.js';
import { startDetached, startForeground } from './start-container.js';

export interface StartRequest {
  detach: boolean;
  /** Foreground only: runc's stdio (the caller's terminal or pipes); stdout and stderr are
   * replaced by pipes to `output` when the container has no terminal. */
  stdio?: Stdio;
  /** Foreground only: where the container's output goes (it is also logged). */
  output?: OutputSinks;
  /** Foreground only: the runc child, so the caller can forward signals and pipe output. */
  onChild?: (child: SpawnedProcess) => void;
  /** Called once the container record exists (docker prints the ID of a detached one). */
  onCreated?: (c: Container) => void | Promise<void>;
}

/**
 * The container's exit code in the foreground; undefined once a detached container runs.
 * `fresh`: this process has just created it (run), so nothing stale is there to clear.
 */
export function startContainer(ctx: OpsContext, target: string | Container, req: StartRequest, fresh = false): Promise<number | undefined> {
  return withStore(ctx, async (store) => {
    const c = typeof target === 'string' ? requireContainer(store, target) : target;
    if (req.detach) {
      // docker: starting a running container is not an error.
      if (!fresh && refresh(store, c).state === 'running') return undefined;
      await startDetached(ctx, store, c, fresh);
      return undefined;
    }
    const fg = await startForeground(ctx, store, c, req.stdio ?? ['inherit', 'inherit', 'inherit'], req.output, fresh);
    req.onChild?.(fg.child);
    return fg.done;
  });
}

export function runContainer(ctx: OpsContext, opts: CreateOptions, req: StartRequest, hooks: CreateHooks = {}): Promise<{ container: Container; exitCode: number | undefined }> {
  // One store for both halves (see withStore).
  return withStore(ctx, async () => {
    const container = await createContainer(ctx, opts, hooks);
    await req.onCreated?.(container);
    const exitCode = await startContainer(ctx, container, req, true);
    return { container, exitCode };
  });
}
