// Feeds a layer blob (compressed as its media type says) through the tar parser into the
// applier, hashing the uncompressed stream to check it against the config's diff_id.
import { sha256Hasher } from '../../sys/sha256.js';
import { once } from 'node:events';
import { createGunzip, type Gunzip } from 'node:zlib';
import { SkiffError, messageOf } from '../../errors.js';
import type { Digest } from '../digest.js';
import type { Compression } from '../media-types.js';
import { TarFormatError, TarParser } from '../tar/reader.js';
import type { ApplyStats, LayerApplier } from './applier.js';
import { NeedLowersError } from './merged-view.js';

export class LayerUnpacker {
  private readonly hash = sha256Hasher();
  private readonly parser: TarParser;
  private readonly gunzip: Gunzip | undefined;
  private failure: unknown;
  private readonly failed: Promise<never>;
  private fail!: (err: unknown) => void;

  constructor(compression: Compression, private readonly applier: LayerApplier, private readonly label: string) {
    if (compression === 'zstd') throw new SkiffError('unsupported', `zstd-compressed layers (${label}) are not supported yet`);
    this.parser = new TarParser(applier);
    this.failed = new Promise<never>((_, reject) => {
      this.fail = (err) => {
        this.failure ??= err;
        reject(this.failure);
      };
    });
    this.failed.catch(() => {});
    if (compression === 'gzip') {
      this.gunzip = createGunzip({ chunkSize: 256 * 1024 });
      this.gunzip.on('data', (c: Buffer) => this.feed(c));
      this.gunzip.on('error', (err) => this.fail(this.describe(err)));
    }
  }

  /** Compressed bytes in order; the returned promise (if any) is backpressure. */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (!this.gunzip) {
      this.feed(chunk);
      if (this.failure !== undefined) throw this.failure;
      return undefined;
    }
    if (this.gunzip.write(chunk)) return undefined;
    return Promise.race([once(this.gunzip, 'drain').then(() => undefined), this.failed]);
  }

  async end(): Promise<{ diffId: Digest; stats: ApplyStats }> {
    if (this.gunzip) {
      this.gunzip.end();
      await Promise.race([once(this.gunzip, 'end'), this.failed]);
    }
    if (this.failure !== undefined) throw this.failure;
    try {
      this.parser.end();
    } catch (err) {
      throw this.describe(err);
    }
    const stats = this.applier.finish();
    return { diffId: `sha256:${this.hash.digest('hex')}`, stats };
  }

  destroy(): void {
    this.gunzip?.destroy();
    this.applier.abort();
  }

  private feed(c: Buffer): void {
    if (this.failure !== undefined) return;
    try {
      this.hash.update(c);
      this.parser.write(c);
    } catch (err) {
      this.fail(this.describe(err));
      this.gunzip?.destroy();
    }
  }

  private describe(err: unknown): Error {
    if (err instanceof SkiffError || err instanceof NeedLowersError) return err;
    if (err instanceof TarFormatError) return new SkiffError('hostile-layer', `layer ${this.label} is not a valid tar archive: ${err.message}`);
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('Z_')) return new SkiffError('hostile-layer', `layer ${this.label} is not valid gzip: ${messageOf(err)}`);
    return new SkiffError('store', `unpacking layer ${this.label}: ${messageOf(err)}`, { cause: err });
  }
}
