// Test-only: push crafted images to a registry with plain fetch and the
// distribution spec (monolithic POST + PUT uploads). No validation beyond what
// the registry itself does, so tests can craft lying or malformed images.
import { createHash } from 'node:crypto';
import { gzip } from './tar-writer.js';

export interface LayerInput {
  tar: Buffer;
  compression?: 'gzip' | 'none';
}

export interface ImageInput {
  layers: LayerInput[];
  /** Merged into the image config; a `config` key is merged one level deep. */
  config?: Record<string, unknown>;
  /** Default amd64/linux. */
  platform?: { architecture: string; os: string; variant?: string };
  format?: 'oci' | 'docker';
  /** Written as rootfs.diff_ids instead of the real ones. */
  diffIdsOverride?: string[];
}

export interface PushedImage {
  manifestDigest: string;
  configDigest: string;
  manifest: Buffer;
  config: Buffer;
  layerDigests: string[];
  /** The real diff_ids (sha256 of each uncompressed tar), whatever was written in the config. */
  diffIds: string[];
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

export function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

function base(registryUrl: string): string {
  return registryUrl.replace(/\/+$/, '');
}

async function failure(what: string, res: Response): Promise<Error> {
  const body = await res.text().catch(() => '');
  return new Error(`${what}: HTTP ${res.status} ${res.statusText}: ${body.trim()}`);
}

export async function pushBlob(registryUrl: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const b = base(registryUrl);
  const head = await fetch(`${b}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  await head.arrayBuffer();
  if (head.status === 200) return digest;

  const start = await fetch(`${b}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': '0' } });
  if (start.status !== 202) throw await failure(`start upload to ${repo}`, start);
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (!location) throw new Error(`start upload to ${repo}: no Location header`);
  // Relative or absolute, with or without a query string (the registry puts
  // its upload state in _state=...): resolve and append, never overwrite.
  const put = new URL(location, `${b}/`);
  put.searchParams.append('digest', digest);
  const res = await fetch(put, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
    body: new Uint8Array(data),
  });
  if (res.status !== 201) throw await failure(`upload blob ${digest} to ${repo}`, res);
  await res.arrayBuffer();
  const got = res.headers.get('docker-content-digest');
  if (got && got !== digest) throw new Error(`upload blob to ${repo}: registry says ${got}, expected ${digest}`);
  return digest;
}

export async function putManifest(
  registryUrl: string,
  repo: string,
  ref: string,
  body: Buffer,
  mediaType: string,
): Promise<string> {
  const res = await fetch(`${base(registryUrl)}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body: new Uint8Array(body),
  });
  if (res.status !== 201) throw await failure(`put manifest ${repo}:${ref} (${mediaType})`, res);
  await res.arrayBuffer();
  const digest = sha256(body);
  const got = res.headers.get('docker-content-digest');
  if (got && got !== digest) throw new Error(`put manifest ${repo}:${ref}: registry says ${got}, expected ${digest}`);
  return digest;
}

interface Built {
  manifest: Buffer;
  mediaType: string;
  config: Buffer;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
  blobs: Buffer[];
}

function buildImage(img: ImageInput, defaultFormat: 'oci' | 'docker'): Built {
  const format = img.format ?? defaultFormat;
  const platform = img.platform ?? { architecture: 'amd64', os: 'linux' };
  const blobs: Buffer[] = [];
  const layerDescs: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  for (const l of img.layers) {
    const gz = (l.compression ?? 'gzip') === 'gzip';
    const blob = gz ? gzip(l.tar) : l.tar;
    diffIds.push(sha256(l.tar));
    blobs.push(blob);
    const mediaType =
      format === 'oci'
        ? gz
          ? MEDIA.ociLayerGzip
          : MEDIA.ociLayer
        : gz
          ? MEDIA.dockerLayerGzip
          : MEDIA.dockerLayer;
    layerDescs.push({ mediaType, digest: sha256(blob), size: blob.length });
  }

  const extra = img.config ?? {};
  const extraInner = extra.config;
  const cfgObj: Record<string, unknown> = {
    created: new Date().toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    rootfs: { type: 'layers', diff_ids: img.diffIdsOverride ?? diffIds },
    ...extra,
    config:
      extraInner && typeof extraInner === 'object' && !Array.isArray(extraInner)
        ? { ...(extraInner as Record<string, unknown>) }
        : extraInner === undefined
          ? {}
          : extraInner,
  };
  const config = Buffer.from(JSON.stringify(cfgObj));
  const configDigest = sha256(config);
  blobs.push(config);

  const mediaType = format === 'oci' ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: format === 'oci' ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: configDigest, size: config.length },
      layers: layerDescs,
    }),
  );
  return { manifest, mediaType, config, configDigest, layerDigests: layerDescs.map((d) => d.digest), diffIds, blobs };
}

async function pushBuilt(registryUrl: string, repo: string, ref: string | undefined, b: Built): Promise<PushedImage> {
  for (const blob of b.blobs) await pushBlob(registryUrl, repo, blob);
  const manifestDigest = await putManifest(registryUrl, repo, ref ?? sha256(b.manifest), b.manifest, b.mediaType);
  return {
    manifestDigest,
    configDigest: b.configDigest,
    manifest: b.manifest,
    config: b.config,
    layerDigests: b.layerDigests,
    diffIds: b.diffIds,
  };
}

export async function pushImage(registryUrl: string, repo: string, tag: string, img: ImageInput): Promise<PushedImage> {
  return pushBuilt(registryUrl, repo, tag, buildImage(img, 'oci'));
}

export async function pushIndex(
  registryUrl: string,
  repo: string,
  tag: string,
  images: { img: ImageInput }[],
  format: 'oci' | 'docker' = 'oci',
): Promise<{ indexDigest: string; manifests: PushedImage[] }> {
  const manifests: PushedImage[] = [];
  const entries: unknown[] = [];
  for (const { img } of images) {
    const built = buildImage(img, format);
    const pushed = await pushBuilt(registryUrl, repo, undefined, built);
    manifests.push(pushed);
    const p = img.platform ?? { architecture: 'amd64', os: 'linux' };
    entries.push({
      mediaType: built.mediaType,
      digest: pushed.manifestDigest,
      size: built.manifest.length,
      platform: { architecture: p.architecture, os: p.os, ...(p.variant !== undefined ? { variant: p.variant } : {}) },
    });
  }
  const mediaType = format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList;
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }));
  const indexDigest = await putManifest(registryUrl, repo, tag, body, mediaType);
  return { indexDigest, manifests };
}

/**
 * Pushes layers as given (any bytes, any media type, any diff_id) under repo:tag: for broken
 * or streamed blobs. `size` and `configSize` replace the true sizes in the manifest.
 */
export async function pushRawLayers(
  registryUrl: string,
  repo: string,
  tag: string,
  layers: { blob: Buffer; mediaType: string; diffId: string; size?: number }[],
  opts: { configSize?: number } = {},
): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((x) => x.diffId) }, config: {} }));
  for (const x of layers) await pushBlob(registryUrl, repo, x.blob);
  await pushBlob(registryUrl, repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: sha256(config), size: opts.configSize ?? config.length },
      layers: layers.map((x) => ({ mediaType: x.mediaType, digest: sha256(x.blob), size: x.size ?? x.blob.length })),
    }),
  );
  await putManifest(registryUrl, repo, tag, manifest, MEDIA.ociManifest);
}
