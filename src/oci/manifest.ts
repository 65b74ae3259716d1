// Parsing and validation of manifests, indexes and configs fetched from a registry.
import { SkiffError } from '../errors.js';
import { type Digest, parseDigest } from './digest.js';
import { INDEX_TYPES, MANIFEST_TYPES, SCHEMA1_TYPES, MediaType, layerCompression } from './media-types.js';
import { type Platform, platformMatches, formatPlatform } from './platform.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.js';

/** Manifests, indexes and configs are read whole; anything larger is refused. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

function bad(what: string, why: string): SkiffError {
  return new SkiffError('registry', `invalid ${what}: ${why}`);
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad(what, 'not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(what, 'not a JSON object');
  return v as Record<string, unknown>;
}

function parseDescriptor(v: unknown, what: string): Descriptor {
  if (v === null || typeof v !== 'object') throw bad(what, 'descriptor is not an object');
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType.length === 0) throw bad(what, 'descriptor without mediaType');
  const digest = parseDigest(d.digest, `${what} digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(what, `descriptor ${digest} has an invalid size`);
  const out: Descriptor = { mediaType: d.mediaType, digest, size: d.size };
  if (d.platform !== undefined) {
    const p = d.platform as Record<string, unknown>;
    if (typeof p !== 'object' || p === null || typeof p.architecture !== 'string' || typeof p.os !== 'string') {
      throw bad(what, `descriptor ${digest} has an invalid platform`);
    }
    out.platform = { architecture: p.architecture, os: p.os };
    if (typeof p.variant === 'string') out.platform.variant = p.variant;
  }
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === 'string');
  if (d.annotations && typeof d.annotations === 'object') out.annotations = d.annotations as Record<string, string>;
  return out;
}

/**
 * Classifies and validates a manifest document. `declared` is the Content-Type the registry sent
 * (or the mediaType of the descriptor that pointed here); a declaration that contradicts the
 * body is refused, since a client trusting either half can be tricked.
 */
export function parseManifest(bytes: Buffer, declared: string | undefined): ParsedManifest {
  if (bytes.length > MAX_DOCUMENT_BYTES) throw bad('manifest', `larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const decl = declared?.split(';')[0]?.trim();
  if (decl && SCHEMA1_TYPES.includes(decl)) {
    throw new SkiffError('unsupported', 'image uses the deprecated Docker schema 1 manifest format, which skiff does not support; push it again with a current client');
  }
  const doc = parseJson(bytes, 'manifest');
  if (doc.schemaVersion === 1) {
    throw new SkiffError('unsupported', 'image uses the deprecated Docker schema 1 manifest format, which skiff does not support; push it again with a current client');
  }
  if (doc.schemaVersion !== 2) throw bad('manifest', `unsupported schemaVersion ${JSON.stringify(doc.schemaVersion)}`);
  const bodyType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const hasManifests = doc.manifests !== undefined;
  const hasLayers = doc.layers !== undefined || doc.config !== undefined;
  if (hasManifests && hasLayers) throw bad('manifest', 'document is both an index and a manifest');
  if (bodyType && decl && decl !== bodyType && decl !== 'application/json' && decl !== 'application/octet-stream') {
    throw bad('manifest', `media type ${decl} contradicts the document's own ${bodyType}`);
  }
  const mediaType = bodyType ?? (decl && decl !== 'application/json' ? decl : undefined) ?? (hasManifests ? MediaType.ociIndex : MediaType.ociManifest);
  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw bad('index', `media type ${mediaType} but no manifests list`);
    if (hasLayers) throw bad('index', 'index carries layers');
    const manifests = doc.manifests.map((m) => parseDescriptor(m, 'index entry'));
    return { kind: 'index', mediaType, index: { schemaVersion: 2, mediaType, manifests } };
  }
  if (MANIFEST_TYPES.includes(mediaType)) {
    if (hasManifests) throw bad('manifest', `media type ${mediaType} but the document is an index`);
    if (!Array.isArray(doc.layers)) throw bad('manifest', 'no layers list');
    const config = parseDescriptor(doc.config, 'config');
    const layers = doc.layers.map((l) => parseDescriptor(l, 'layer'));
    return { kind: 'manifest', mediaType, manifest: { schemaVersion: 2, mediaType, config, layers } };
  }
  throw new SkiffError('unsupported', `unsupported manifest media type ${mediaType}`);
}

/** Picks the index entry for a platform; entries that are not image manifests (attestations) are skipped. */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter((m) => MANIFEST_TYPES.includes(m.mediaType) || INDEX_TYPES.includes(m.mediaType));
  const match = candidates.find((m) => m.platform !== undefined && platformMatches(want, m.platform));
  if (match) return match;
  const offered = candidates.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).filter((p) => p !== 'unknown/unknown');
  throw new SkiffError('not-found', `no image for platform ${formatPlatform(want)} (available: ${[...new Set(offered)].join(', ') || 'none'})`);
}

/** Checks a manifest's layers can be unpacked before anything is downloaded. */
export function checkLayers(m: ImageManifest): void {
  for (const l of m.layers) {
    const c = layerCompression(l.mediaType);
    if (c === undefined) throw new SkiffError('unsupported', `unsupported layer media type ${l.mediaType}`);
    if (c === 'zstd') throw new SkiffError('unsupported', `zstd-compressed layers (${l.digest.slice(0, 19)}) are not supported yet`);
  }
}

export function parseConfig(bytes: Buffer, m: ImageManifest): ImageConfig {
  if (bytes.length > MAX_DOCUMENT_BYTES) throw bad('image config', `larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const doc = parseJson(bytes, 'image config');
  const rootfs = doc.rootfs as Record<string, unknown> | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) throw bad('image config', 'no rootfs.diff_ids');
  const diffIds: Digest[] = rootfs.diff_ids.map((d) => parseDigest(d, 'diff_id'));
  if (diffIds.length !== m.layers.length) {
    throw bad('image config', `${diffIds.length} diff_ids for ${m.layers.length} layers`);
  }
  if (typeof doc.architecture !== 'string' || typeof doc.os !== 'string') throw bad('image config', 'missing architecture or os');
  return { ...(doc as unknown as ImageConfig), rootfs: { type: 'layers', diff_ids: diffIds } };
}
