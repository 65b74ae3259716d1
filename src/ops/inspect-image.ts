import { SkiffError } from '../errors.js';
import type { ImageConfig, ImageManifest } from '../oci/types.js';
import type { ImageRecord } from '../store/images.js';
import { type OpsContext, withStore } from './context.js';
import { requireImage } from './resolve-image.js';

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string | null;
  Architecture: string;
  Os: string;
  Variant?: string;
  Size: number;
  BlobSize: number;
  Config: ImageConfig['config'];
  RootFS: { Type: string; Layers: string[] };
  History: ImageConfig['history'];
  Manifest: { digest: string; mediaType: string | undefined; layers: ImageManifest['layers'] };
}

export interface InspectResult {
  images: ImageInspect[];
  /** Names that were not found (or could not be read); the others are still inspected, as docker does. */
  errors: SkiffError[];
}

export function inspectImages(ctx: OpsContext, names: string[]): InspectResult {
  return withStore(ctx, (store) => {
    const out: InspectResult = { images: [], errors: [] };
    for (const name of names) {
      try {
        const { records } = requireImage(store, name);
        const rec = records[0]!;
        const all = store.images.list().filter((r) => r.configDigest === rec.configDigest);
        const config = JSON.parse(store.content.read(rec.configDigest).toString('utf8')) as ImageConfig;
        const manifest = JSON.parse(store.content.read(rec.manifestDigest).toString('utf8')) as ImageManifest;
        out.images.push(toInspect(rec, all, config, manifest));
      } catch (err) {
        if (!(err instanceof SkiffError)) throw err;
        out.errors.push(err);
      }
    }
    return out;
  });
}

function toInspect(rec: ImageRecord, all: ImageRecord[], config: ImageConfig, manifest: ImageManifest): ImageInspect {
  const out: ImageInspect = {
    Id: rec.configDigest,
    RepoTags: all.filter((r) => r.tag !== null).map((r) => r.name),
    RepoDigests: [...new Set(all.map((r) => `${r.repository}@${r.digest}`))],
    Created: rec.created,
    Architecture: config.architecture,
    Os: config.os,
    Size: rec.size,
    BlobSize: rec.blobSize,
    Config: config.config ?? {},
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    History: config.history ?? [],
    Manifest: { digest: rec.manifestDigest, mediaType: manifest.mediaType, layers: manifest.layers },
  };
  if (config.variant) out.Variant = config.variant;
  return out;
}
