// Image records: a name (repository:tag or repository@digest) pointing at a resolved manifest.
import type { Digest } from '../oci/digest.js';
import { type Db, immediate } from './db.js';

export interface LayerRecord {
  digest: Digest;
  mediaType: string;
  size: number;
  diffId: Digest;
  chainId: Digest;
}

export interface ImageRecord {
  name: string;
  repository: string;
  tag: string | null;
  digest: Digest;
  manifestDigest: Digest;
  configDigest: Digest;
  platform: string;
  created: string | null;
  size: number;
  blobSize: number;
  layers: LayerRecord[];
  updatedAt: number;
}

/** Every blob an image names: its index or manifest, manifest, config and layers. */
export function blobsOf(img: ImageRecord): Digest[] {
  return [img.digest, img.manifestDigest, img.configDigest, ...img.layers.map((l) => l.digest)];
}

interface Row {
  name: string; repository: string; tag: string | null; digest: string; manifest_digest: string; config_digest: string;
  platform: string; created: string | null; size: number; blob_size: number; layers: string; updated_at: number;
}

function fromRow(r: Row): ImageRecord {
  return {
    name: r.name,
    repository: r.repository,
    tag: r.tag,
    digest: r.digest as Digest,
    manifestDigest: r.manifest_digest as Digest,
    configDigest: r.config_digest as Digest,
    platform: r.platform,
    created: r.created,
    size: r.size,
    blobSize: r.blob_size,
    layers: JSON.parse(r.layers) as LayerRecord[],
    updatedAt: r.updated_at,
  };
}

export class ImageStore {
  constructor(private readonly db: Db) {}

  put(rec: ImageRecord): void {
    immediate(this.db, () => this.putInTx(rec));
  }

  /** For callers already inside a write transaction. */
  putInTx(rec: ImageRecord): void {
    this.db
      .prepare(
        `INSERT INTO images (name, repository, tag, digest, manifest_digest, config_digest, platform, created, size, blob_size, layers, updated_at)
         VALUES (@name, @repository, @tag, @digest, @manifestDigest, @configDigest, @platform, @created, @size, @blobSize, @layers, @updatedAt)
         ON CONFLICT(name) DO UPDATE SET repository=excluded.repository, tag=excluded.tag, digest=excluded.digest,
           manifest_digest=excluded.manifest_digest, config_digest=excluded.config_digest, platform=excluded.platform,
           created=excluded.created, size=excluded.size, blob_size=excluded.blob_size, layers=excluded.layers, updated_at=excluded.updated_at`,
      )
      .run({ ...rec, layers: JSON.stringify(rec.layers) });
  }

  get(name: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE name = ?').get(name) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  list(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY updated_at DESC, name').all() as Row[]).map(fromRow);
  }

  /** Images whose config digest (the image ID) starts with the given hex prefix. */
  byIdPrefix(hexPrefix: string): ImageRecord[] {
    return (this.db.prepare("SELECT * FROM images WHERE config_digest LIKE ? ORDER BY name").all(`sha256:${hexPrefix}%`) as Row[]).map(fromRow);
  }

  /** Whether any name still points at the image (config digest). */
  hasConfig(configDigest: Digest): boolean {
    return this.db.prepare('SELECT 1 FROM images WHERE config_digest = ? LIMIT 1').get(configDigest) !== undefined;
  }

  deleteInTx(name: string): void {
    this.db.prepare('DELETE FROM images WHERE name = ?').run(name);
  }
}
