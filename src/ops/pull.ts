// pull: resolve a reference to a platform manifest, fetch config and layers into the content
// store, unpack each layer once into its chainID snapshot, then name the image. The image
// record is written last, so a failed or killed pull never lists a half image.
import { createReadStream } from 'node:fs';
import { SkiffError } from '../errors.js';
import { type Digest, chainIds } from '../oci/digest.js';
import { LayerApplier } from '../oci/layer/applier.js';
import { OVERLAY_TRUSTED, OVERLAY_USER } from '../oci/layer/merged-view.js';
import { LayerUnpacker } from '../oci/layer/unpack.js';
import { MANIFEST_ACCEPT, layerCompression } from '../oci/media-types.js';
import { checkLayers, parseConfig, parseManifest, selectPlatform } from '../oci/manifest.js';
import { type Platform, formatPlatform, hostPlatform, normalizePlatform } from '../oci/platform.js';
import { type Reference, formatReference, parseReference, repositoryName } from '../oci/reference.js';
import type { Descriptor, ImageConfig, ImageManifest } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';
import type { ImageRecord, LayerRecord } from '../store/images.js';
import { type Lease, createLease } from '../store/leases.js';
import type { Store } from '../store/store.js';
import { type OpsContext, registryClient, withStore } from './context.js';

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

const PREFETCH = 3;

export function pull(ctx: OpsContext, opts: PullOptions): Promise<PullResult> {
  const ref = parseReference(opts.reference);
  const platform = normalizePlatform(opts.platform ?? hostPlatform());
  return withStore(ctx, async (store) => {
    const lease = createLease(store.db);
    try {
      return await pullWithLease(ctx, store, lease, ref, platform, opts.onEvent ?? (() => {}));
    } finally {
      lease.release();
    }
  });
}

async function pullWithLease(ctx: OpsContext, store: Store, lease: Lease, ref: Reference, platform: Platform, emit: (e: PullEvent) => void): Promise<PullResult> {
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

  const layers = await fetchAndUnpack(client, store, lease, repo, manifest, config, emit);
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

async function fetchAndUnpack(client: RegistryClient, store: Store, lease: Lease, repo: string, m: ImageManifest, config: ImageConfig, emit: (e: PullEvent) => void): Promise<LayerRecord[]> {
  const diffIds = config.rootfs.diff_ids;
  const chains = chainIds(diffIds);
  const records: LayerRecord[] = m.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, chainId: chains[i]! }));
  const missing: boolean[] = records.map((r) => {
    lease.add('snapshot', r.chainId);
    return store.snapshots.get(r.chainId) === undefined;
  });
  records.forEach((r, i) => emit({ type: 'layer', digest: r.digest, status: missing[i] ? 'waiting' : 'exists', total: r.size }));

  // Downloads run ahead (a few at a time) while layers unpack in order; the first layer to
  // unpack streams straight from the network into the applier.
  const firstMissing = missing.indexOf(true);
  const downloads = new Map<Digest, Promise<void>>();
  const queue = records.filter((r, i) => missing[i] && i !== firstMissing);
  let active = 0;
  const pump = (): void => {
    while (active < PREFETCH && queue.length > 0) {
      const r = queue.shift()!;
      if (downloads.has(r.digest)) continue;
      lease.add('blob', r.digest);
      if (store.content.has(r.digest)) {
        downloads.set(r.digest, Promise.resolve());
        continue;
      }
      active++;
      const p = download(client, store, repo, layerDesc(r), emit).finally(() => {
        active--;
        pump();
      });
      p.catch(() => {});
      downloads.set(r.digest, p);
    }
  };
  pump();

  const lowers: string[] = [];
  try {
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (!missing[i]) {
        lowers.unshift(store.snapshots.get(r.chainId)!.dir);
        continue;
      }
      const snap = await unpackOne(client, store, lease, repo, r, i === 0 ? null : records[i - 1]!.chainId, lowers, downloads.get(r.digest), emit);
      lowers.unshift(snap);
    }
  } finally {
    // Nothing may still be writing into the store once pull returns (or fails).
    queue.length = 0;
    await Promise.allSettled(downloads.values());
  }
  await Promise.all(downloads.values());
  return records;
}

function layerDesc(r: LayerRecord): Descriptor {
  return { mediaType: r.mediaType, digest: r.digest, size: r.size };
}

async function download(client: RegistryClient, store: Store, repo: string, desc: Descriptor, emit: (e: PullEvent) => void, onData?: (c: Buffer) => Promise<void> | undefined): Promise<void> {
  emit({ type: 'layer', digest: desc.digest, status: 'downloading', current: 0, total: desc.size });
  await store.content.ingest(desc, {
    open: (offset) => client.openBlob(repo, desc.digest, offset),
    ...(onData ? { onData } : {}),
    onProgress: (n) => emit({ type: 'layer', digest: desc.digest, status: 'downloading', current: n, total: desc.size }),
  });
}

async function unpackOne(client: RegistryClient, store: Store, lease: Lease, repo: string, r: LayerRecord, parent: Digest | null, lowers: string[], prefetch: Promise<void> | undefined, emit: (e: PullEvent) => void): Promise<string> {
  const privileged = process.getuid?.() === 0;
  const tmp = store.snapshots.prepare();
  const applier = new LayerApplier(tmp, [...lowers], { format: privileged ? OVERLAY_TRUSTED : OVERLAY_USER, privileged });
  const unpacker = new LayerUnpacker(layerCompression(r.mediaType)!, applier, r.digest);
  try {
    lease.add('blob', r.digest);
    if (prefetch) await prefetch;
    if (store.content.has(r.digest)) {
      emit({ type: 'layer', digest: r.digest, status: 'extracting', total: r.size });
      for await (const chunk of createReadStream(store.content.path(r.digest), { highWaterMark: 1024 * 1024 })) {
        const p = unpacker.write(chunk as Buffer);
        if (p) await p;
      }
    } else {
      await download(client, store, repo, layerDesc(r), emit, (c) => unpacker.write(c));
      emit({ type: 'layer', digest: r.digest, status: 'extracting', total: r.size });
    }
    const { diffId, stats } = await unpacker.end();
    if (diffId !== r.diffId) {
      throw new SkiffError('digest-mismatch', `layer ${r.digest} unpacks to ${diffId}, but the image config says ${r.diffId}`);
    }
    const rec = store.snapshots.commit(tmp, { chainId: r.chainId, parent, diffId, size: stats.bytes });
    emit({ type: 'layer', digest: r.digest, status: 'done', total: r.size });
    return rec.dir;
  } catch (err) {
    unpacker.destroy();
    store.snapshots.discard(tmp);
    throw err;
  }
}
