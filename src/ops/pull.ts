// pull: resolve a reference to a platform manifest, fetch config and layers into the content
// store, unpack each layer once into its chainID snapshot, then name the image. The image
// record is written last, so a failed or killed pull never lists a half image.
import { SkiffError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { MANIFEST_ACCEPT } from '../oci/media-types.js';
import { checkLayers, parseConfig, parseManifest, selectPlatform } from '../oci/manifest.js';
import { type Platform, formatPlatform, hostPlatform, normalizePlatform } from '../oci/platform.js';
import { type Reference, formatReference, parseReference, repositoryName } from '../oci/reference.js';
import type { Descriptor, ImageConfig, ImageManifest } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';
import type { ImageRecord } from '../store/images.js';
import { type Lease, createLease } from '../store/leases.js';
import { reserveFor } from '../store/space-guard.js';
import type { Store } from '../store/store.js';
import { type OpsContext, registryClient, withStore } from './context.js';
import { pullLayers } from './pull-layers.js';
import { releaseAndCollect } from './gc.js';

export type PullEvent =
  | { type: 'resolved'; reference: string; digest: Digest; platform: string; layers: { digest: Digest; size: number }[] }
  | { type: 'layer'; digest: Digest; status: 'exists' | 'waiting' | 'downloading' | 'extracting' | 'done'; current?: number; total: number };

export interface PullOptions {
  reference: string;
  platform?: Platform;
  onEvent?: (e: PullEvent) => void;
}

export interface PullResult {
  image: ImageRecord;
  reference: string;
}

export function pull(ctx: OpsContext, opts: PullOptions): Promise<PullResult> {
  const ref = parseReference(opts.reference);
  const platform = normalizePlatform(opts.platform ?? hostPlatform());
  return withStore(ctx, async (store) => {
    const lease = createLease(store.db);
    try {
      return await pullWithLease(ctx, store, lease, ref, platform, opts.onEvent ?? (() => {}));
    } catch (err) {
      // A pull stopped for want of space gives back what it stored: keeping its finished
      // blobs and layers would leave the disk fuller than before the pull.
      if (err instanceof SkiffError && err.kind === 'no-space') releaseAndCollect(store, lease);
      throw err;
    } finally {
      lease.release();
    }
  });
}

async function pullWithLease(ctx: OpsContext, store: Store, lease: Lease, ref: Reference, platform: Platform, emit: (e: PullEvent) => void): Promise<PullResult> {
  // Settled before any request: a bad SKIFF_MIN_FREE fails the pull at once. Each reserve is
  // taken on the filesystem written to: snapshots/ or content/ may be mounted apart from the root.
  const reserves = { snapshots: reserveFor(store.paths.snapshots, ctx.env), ingest: reserveFor(store.paths.ingest, ctx.env) };
  const client = registryClient(ctx, ref.domain);
  const repo = ref.path;
  const top = await fetchManifest(client, store, lease, repo, ref.digest ?? ref.tag!);
  let manifestDigest = top.digest;
  let manifest: ImageManifest;
  if (top.parsed.kind === 'index') {
    let index = top.parsed.index;
    // An index may point at another index (nested multi-platform images); follow a few levels.
    for (let depth = 0; ; depth++) {
      const entry = selectPlatform(index, platform);
      const child = await fetchManifest(client, store, lease, repo, entry.digest, entry);
      manifestDigest = child.digest;
      if (child.parsed.kind === 'manifest') {
        manifest = child.parsed.manifest;
        break;
      }
      if (depth >= 2) throw new SkiffError('registry', `index nesting too deep for ${formatReference(ref)}`);
      index = child.parsed.index;
    }
  } else {
    manifest = top.parsed.manifest;
  }
  checkLayers(manifest);
  const config = await fetchConfig(client, store, lease, repo, manifest);
  const configPlatform = normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) });
  emit({ type: 'resolved', reference: formatReference(ref), digest: top.digest, platform: formatPlatform(configPlatform), layers: manifest.layers.map((l) => ({ digest: l.digest, size: l.size })) });

  const layers = await pullLayers(client, store, lease, repo, manifest, config, reserves, emit);
  const blobSize = top.bytes + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
  const size = layers.reduce((n, l) => n + (store.snapshots.get(l.chainId)?.size ?? 0), 0);
  const image: ImageRecord = {
    name: formatReference(ref),
    repository: repositoryName(ref),
    tag: ref.digest ? null : (ref.tag ?? null),
    digest: top.digest,
    manifestDigest,
    configDigest: manifest.config.digest,
    platform: formatPlatform(configPlatform),
    created: typeof config.created === 'string' ? config.created : null,
    size,
    blobSize,
    layers,
    updatedAt: Date.now(),
  };
  store.images.put(image);
  return { image, reference: image.name };
}

async function fetchManifest(client: RegistryClient, store: Store, lease: Lease, repo: string, ref: string, desc?: Descriptor) {
  const got = await client.getManifest(repo, ref, MANIFEST_ACCEPT);
  if (desc && got.bytes.length !== desc.size) {
    throw new SkiffError('digest-mismatch', `manifest ${desc.digest} is ${got.bytes.length} bytes, its descriptor says ${desc.size}`);
  }
  const parsed = parseManifest(got.bytes, desc?.mediaType ?? got.contentType);
  lease.add('blob', got.digest);
  store.content.putSmall(got.digest, got.bytes);
  return { digest: got.digest, parsed, bytes: got.bytes.length };
}

async function fetchConfig(client: RegistryClient, store: Store, lease: Lease, repo: string, m: ImageManifest): Promise<ImageConfig> {
  const d = m.config.digest;
  lease.add('blob', d);
  const bytes = store.content.has(d) ? store.content.read(d) : await client.getSmallBlob(repo, d, m.config.size);
  const config = parseConfig(bytes, m);
  store.content.putSmall(d, bytes);
  return config;
}
