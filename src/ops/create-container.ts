// create: a record first, then the rootfs mount and the bundle. The record comes first so that
// whatever a killed create leaves on disk belongs to a container that `rm` can find.
import { randomHex } from '../sys/random.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { SkiffError, messageOf } from '../errors.js';
import { resolveUser } from '../oci/image-user.js';
import { formatPlatform, parsePlatform, platformMatches } from '../oci/platform.js';
import { buildSpec } from '../oci/runtime-spec.js';
import type { ImageConfig } from '../oci/types.js';
import { type ContainerLayout, containerLayout } from '../runtime/container-layout.js';
import { writeEtcFiles } from '../runtime/etc-files.js';
import { prepareEtcMountPoints } from '../runtime/etc-mount-points.js';
import { OVERLAY_TRUSTED, OVERLAY_USER } from '../oci/layer/merged-view.js';
import { mountOverlay } from '../runtime/overlay.js';
import { readImageFile } from '../runtime/read-in-root.js';
import { exposedPorts } from '../network/ports.js';
import { hardLimits } from '../runtime/rlimits.js';
import { listHostDevices } from '../runtime/host-devices.js';
import { boundingCapabilities } from '../runtime/host-capabilities.js';
import { parseEnvFile } from '../runtime/mount-flags.js';
import { immediate } from '../store/db.js';
import type { ImageRecord } from '../store/images.js';
import type { Store } from '../store/store.js';
import { NAME_PATTERN, randomName } from './container-names.js';
import type { Container, ContainerSpec, CreateOptions } from './container-options.js';
import { type OpsContext, withStore } from './context.js';
import type { PullEvent } from './pull.js';
import { releaseContainer } from './container-cleanup.js';
import { findImage } from './resolve-image.js';
import { requireContainer } from './find-container.js';
import { resolveNetworkOption } from './network-option.js';
import { inUserNamespace } from '../sys/rootless-identity.js';
import { cniNetworkOf } from './attached-network.js';

export interface CreateHooks {
  /** Called before an image missing locally is pulled (docker prints "Unable to find image"). */
  onPullStart?: (image: string) => void;
  onPullEvent?: (e: PullEvent) => void;
}

export async function createContainer(ctx: OpsContext, asked: CreateOptions, hooks: CreateHooks = {}): Promise<Container> {
  const opts = resolveNetworkOption(ctx, asked);
  if (opts.name !== undefined && !NAME_PATTERN.test(opts.name)) {
    throw new SkiffError('usage', `invalid container name ${JSON.stringify(opts.name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const local = opts.pull === 'always' ? undefined : withStore(ctx, (s) => findImage(s, opts.image))?.records[0];
  // As docker: a local image of another platform than --platform asks for counts as missing.
  const want = opts.platform ? parsePlatform(opts.platform) : undefined;
  const otherPlatform = want && local && !platformMatches(want, parsePlatform(local.platform)) ? local.platform : undefined;
  if (otherPlatform && opts.pull === 'never') {
    throw new SkiffError('not-found', `image ${opts.image} was found but does not match the specified platform: wanted ${formatPlatform(want!)}, actual: ${otherPlatform}`);
  }
  if (opts.pull === 'always' || (opts.pull === 'missing' && (!local || otherPlatform))) {
    if (opts.pull === 'missing') hooks.onPullStart?.(opts.image);
    // Loaded only to pull: the registry client and unpack workers are no part of most runs.
    const { pull } = await import('./pull.js');
    await pull(ctx, {
      reference: opts.image,
      ...(opts.platform ? { platform: parsePlatform(opts.platform) } : {}),
      ...(hooks.onPullEvent ? { onEvent: hooks.onPullEvent } : {}),
    });
  }
  const envFromFiles = opts.envFiles.flatMap((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new SkiffError('usage', `cannot read env file ${f}: ${messageOf(err)}`);
    }
    return parseEnvFile(text, f);
  });
  return withStore(ctx, (store) => createInStore(store, ctx, opts, envFromFiles));
}

function createInStore(store: Store, ctx: OpsContext, opts: CreateOptions, envFromFiles: string[]): Container {
  const id = randomHex(32);
  const { image, config } = insertRecord(store, id, opts);
  const layout = containerLayout(store.paths, id);
  try {
    const spec = prepareBundle(store, layout, image, config, opts, envFromFiles, ctx.env);
    store.containers.setSpec(id, spec, spec.process.args);
    return store.containers.get(id)!;
  } catch (err) {
    try {
      releaseContainer(store, id);
    } catch {
      // The first failure is what the user needs to see; `rm` finishes what is left.
    }
    throw err;
  }
}

/** Reserves the name and pins the image's layers in one transaction, before any file exists. */
function insertRecord(store: Store, id: string, opts: CreateOptions): { image: ImageRecord; config: ImageConfig } {
  for (let attempt = 0; ; attempt++) {
    const name = opts.name ?? (attempt < 5 ? randomName() : `${randomName()}_${randomHex(2)}`);
    try {
      return immediate(store.db, () => {
        const found = findImage(store, opts.image);
        if (!found) throw new SkiffError('not-found', `no such image: ${opts.image}`);
        const image = found.records[0]!;
        // Validated when it was pulled; stored content is addressed by its digest.
        const config = JSON.parse(store.content.read(image.configDigest).toString('utf8')) as ImageConfig;
        for (const l of image.layers) {
          if (!store.snapshots.get(l.chainId)) throw new SkiffError('store', `image ${opts.image} is missing its layer ${l.chainId}; pull it again`);
        }
        const placeholder: ContainerSpec = {
          options: opts,
          imageDigest: image.digest,
          process: { args: [], env: [], cwd: '/', uid: 0, gid: 0, terminal: opts.tty },
          hostname: '',
        };
        store.containers.create({
          id,
          name,
          image: opts.image,
          imageId: image.configDigest,
          layers: image.layers.map((l) => l.chainId),
          command: [],
          labels: { ...(config.config?.Labels ?? {}), ...opts.labels },
          spec: placeholder,
          state: 'created',
          monitor: null,
          monitorPid: null,
          monitorStart: null,
          pid: null,
          pidStart: null,
          exitCode: null,
          autoRemove: opts.autoRemove,
          createdAt: Date.now(),
          startedAt: null,
          finishedAt: null,
        });
        return { image, config };
      });
    } catch (err) {
      if (opts.name === undefined && err instanceof SkiffError && err.kind === 'conflict' && attempt < 10) continue;
      throw err;
    }
  }
}

function prepareBundle(
  store: Store,
  l: ContainerLayout,
  image: ImageRecord,
  config: ImageConfig,
  opts: CreateOptions,
  envFromFiles: string[],
  env: NodeJS.ProcessEnv,
): ContainerSpec {
  mkdirSync(l.dir, { mode: 0o700 });
  for (const d of [l.upper, l.work, l.rootfs]) mkdirSync(d, { mode: 0o755 });
  mountRootfs(store, l, image, { volatile: opts.autoRemove, fresh: true, env });

  // container:NAME shares that container's network and its name; its /etc files are copied
  // from it, and the namespace path is set, when this one starts (src/ops/join-network.ts).
  const joined = opts.network.startsWith('container:') ? requireContainer(store, opts.network.slice('container:'.length)) : undefined;
  const network = joined ? 'none' : cniNetworkOf(opts.network) !== undefined ? 'bridge' : (opts.network as 'none' | 'host');
  const hostname = joined?.spec.hostname ?? opts.hostname ?? (network === 'host' ? hostHostname() : basename(l.dir).slice(0, 12));
  writeEtcFiles(l, hostname, network === 'bridge' && inUserNamespace() ? 'slirp' : network, opts);
  const userSpec = opts.user ?? config.config?.User ?? '';
  const user = resolveUser(userSpec, readImageFile(l.rootfs, '/etc/passwd'), readImageFile(l.rootfs, '/etc/group'));
  const spec = buildSpec({
    image: config.config,
    ...(opts.args.length > 0 ? { args: opts.args } : {}),
    ...(opts.entrypoint !== undefined ? { entrypoint: opts.entrypoint === '' ? [] : [opts.entrypoint] } : {}),
    env: [...envFromFiles, ...opts.env],
    hostEnv: env,
    ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
    user,
    hostname,
    terminal: opts.tty,
    readOnly: opts.readOnly,
    privileged: opts.privileged,
    capAdd: opts.capAdd,
    capDrop: opts.capDrop,
    network: joined ? 'bridge' : network,
    ...(joined || network === 'bridge' ? { netnsPath: l.netns } : {}),
    mounts: opts.mounts,
    ...(opts.privileged ? { devices: listHostDevices(), hostCapabilities: boundingCapabilities() } : {}),
    rootfsPath: 'rootfs',
    etcFiles: { hosts: l.hosts, hostname: l.hostname, resolvConf: l.resolvConf },
    hardLimits: hardLimits(),
  });
  for (const m of opts.mounts) {
    if (m.type !== 'bind' || existsSync(m.source)) continue;
    // docker's -v makes a missing source directory; --mount refuses it.
    if (!m.createSource) throw new SkiffError('usage', `invalid mount: bind source path does not exist: ${m.source}`);
    mkdirSync(m.source, { recursive: true });
  }
  writeFileSync(l.config, JSON.stringify(spec));
  const p = spec.process!;
  return {
    options: opts,
    imageDigest: image.digest,
    process: { args: p.args ?? [], env: p.env ?? [], cwd: p.cwd, uid: p.user.uid, gid: p.user.gid, terminal: Boolean(p.terminal) },
    hostname,
    ...(config.config?.StopSignal ? { stopSignal: config.config.StopSignal } : {}),
    ports: [...opts.publish, ...(opts.publishAll ? exposedPorts(config.config?.ExposedPorts) : [])],
    ...(joined ? { networkOf: joined.id } : {}),
  };
}

export interface RootfsMount {
  /** An --rm container's root, never mounted again: the kernel need not sync its upper. */
  volatile: boolean;
  /** A new, empty upper. */
  fresh?: boolean;
  /** The caller's environment (SKIFF_ROOTLESS_OVERLAY). */
  env: NodeJS.ProcessEnv;
}

/** Mounts the container's overlay; the lowers are its image's snapshots, top layer first. */
export function mountRootfs(store: Store, l: ContainerLayout, image: { layers: { chainId: ImageRecord['layers'][number]['chainId'] }[] }, o: RootfsMount): void {
  const lowers = image.layers
    .map((layer) => {
      const snap = store.snapshots.get(layer.chainId);
      if (!snap) throw new SkiffError('store', `snapshot ${layer.chainId} is missing; pull the image again`);
      return String(snap.id);
    })
    .reverse();
  if (lowers.length === 0) {
    // An image without layers still needs one lower: an empty directory of the container's own.
    const empty = `${l.dir}/empty`;
    mkdirSync(empty, { recursive: true });
    lowers.push(empty);
  }
  const rootless = inUserNamespace();
  // SKIFF_ROOTLESS_OVERLAY=fuse-overlayfs picks the fallback the kernel's overlay otherwise falls back to.
  const fuse = rootless && o.env.SKIFF_ROOTLESS_OVERLAY === 'fuse-overlayfs';
  // A new container's upper is empty: runc's mount points go in before it is mounted.
  if (o.fresh) prepareEtcMountPoints(l.upper, lowers.map((d) => resolve(store.paths.snapshots, d)), rootless ? OVERLAY_USER : OVERLAY_TRUSTED);
  mountOverlay({ snapshotsDir: store.paths.snapshots, lowers, upper: l.upper, work: l.work, target: l.rootfs, volatile: o.volatile, userxattr: rootless, fuse });
}
