// Content-addressed blobs: downloads stream into an ingest file, are hashed on the way, size-
// and digest-checked, fsynced and renamed into place. A blob that already exists is success.
import { randomHex } from '../sys/random.js';
import { sha256Hasher } from '../sys/sha256.js';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError, messageOf } from '../errors.js';
import { type Digest, digestHex, sha256 } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import { idleWatchdog, stallError } from '../registry/idle-watchdog.js';
import { blobPath, type StorePaths } from './paths.js';

export interface BlobSource {
  body: AsyncIterable<Buffer> & { destroy?: (err?: Error) => void };
  /** False when the source restarted from byte 0 although an offset was asked for. */
  resumed: boolean;
  abort: () => void;
  idleTimeoutMs: number;
  /** The whole blob's length as the source states it, when it does. */
  total?: number;
}

export interface IngestOptions {
  /** Opens the source at a byte offset (0 first, more after a broken connection). */
  open: (offset: number) => Promise<BlobSource>;
  /** Receives the blob's bytes in order, exactly once each; a returned promise applies backpressure. */
  onData?: (chunk: Buffer) => void | Promise<void>;
  onProgress?: (bytes: number) => void;
  /** How many times a broken or short download is resumed. */
  resumes?: number;
  /** Charged the blob's size up front and each chunk before it is written. */
  space?: { charge(bytes: number): void };
}

export class ContentStore {
  constructor(private readonly paths: StorePaths) {}

  has(d: Digest): boolean {
    return existsSync(blobPath(this.paths, d));
  }

  path(d: Digest): string {
    return blobPath(this.paths, d);
  }

  size(d: Digest): number {
    return statSync(blobPath(this.paths, d)).size;
  }

  read(d: Digest): Buffer {
    return readFileSync(blobPath(this.paths, d));
  }

  /** Stores a small, already-verified document (manifest, config). */
  putSmall(d: Digest, data: Buffer): void {
    if (sha256(data) !== d) throw new SkiffError('digest-mismatch', `digest mismatch for ${d}`);
    if (this.has(d)) return;
    const tmp = this.ingestFile(d);
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, blobPath(this.paths, d));
    } catch (err) {
      rmQuiet(tmp);
      throw err;
    }
  }

  /** Every stored blob's digest. */
  list(): Digest[] {
    return readdirSync(this.paths.blobs)
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .map((n) => `sha256:${n}` as Digest);
  }

  delete(d: Digest): void {
    rmQuiet(blobPath(this.paths, d));
  }

  /** Downloads a blob into the store (verifying it), feeding its bytes to onData as they arrive. */
  async ingest(desc: Descriptor, opts: IngestOptions): Promise<void> {
    const dest = blobPath(this.paths, desc.digest);
    const tmp = this.ingestFile(desc.digest);
    // Async writes: a slow disk must not stall the event loop, which other downloads share.
    opts.space?.charge(desc.size);
    // node:fs/promises is loaded on first use: most commands never download.
    const fh = await process.getBuiltinModule('node:fs/promises').open(tmp, 'wx', 0o600);
    const hash = sha256Hasher();
    let written = 0;
    let closed = false;
    // A consumer (the layer unpacker) that fails stops receiving data, but the download goes on
    // to the digest check: bytes that do not match their digest are reported as that, not as
    // whatever the unpacker made of them (and not depending on which of the two noticed first).
    let consumerError: unknown;
    try {
      const resumes = opts.resumes ?? 5;
      for (let attempt = 0; ; attempt++) {
        let failure: unknown;
        const src = await opts.open(written);
        if (src.total !== undefined && src.total !== desc.size) {
          src.abort();
          throw new SkiffError('digest-mismatch', `blob ${desc.digest} is ${src.total} bytes, its descriptor says ${desc.size}`);
        }
        let skip = src.resumed ? 0 : written;
        const watch = idleWatchdog(src.idleTimeoutMs, src.abort);
        try {
          watch.arm();
          for await (const raw of src.body) {
            watch.arm();
            let chunk = raw;
            if (skip > 0) {
              const n = Math.min(skip, chunk.length);
              skip -= n;
              chunk = chunk.subarray(n);
              if (chunk.length === 0) continue;
            }
            if (written + chunk.length > desc.size) {
              src.abort();
              throw new SkiffError('digest-mismatch', `blob ${desc.digest} is larger than its descriptor's ${desc.size} bytes`);
            }
            opts.space?.charge(chunk.length);
            const stored = writeAll(fh, chunk);
            hash.update(chunk);
            written += chunk.length;
            if (opts.onData && consumerError === undefined) {
              try {
                const p = opts.onData(chunk);
                if (p) await p;
              } catch (err) {
                consumerError = err;
              }
            }
            await stored;
            opts.onProgress?.(written);
          }
        } catch (err) {
          if (err instanceof SkiffError) throw err;
          failure = watch.stalled ? stallError(src.idleTimeoutMs, err) : err;
        } finally {
          watch.stop();
        }
        if (written === desc.size) break;
        if (attempt >= resumes) {
          const why = failure ? messageOf(failure) : `connection closed after ${written} of ${desc.size} bytes`;
          throw new SkiffError('registry', `download of ${desc.digest} failed: ${why}`, { cause: failure });
        }
      }
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== desc.digest) {
        throw new SkiffError('digest-mismatch', `digest mismatch for blob ${desc.digest}: received content hashes to ${got}`, consumerError === undefined ? undefined : { cause: consumerError });
      }
      if (consumerError !== undefined) throw consumerError;
      await fh.sync();
      await fh.close();
      closed = true;
      renameSync(tmp, dest);
    } catch (err) {
      if (!closed) await fh.close();
      rmQuiet(tmp);
      throw err;
    }
  }

  /** A per-process ingest file: concurrent pulls of one blob each write their own, the rename makes one copy. */
  private ingestFile(d: Digest): string {
    return join(this.paths.ingest, `${digestHex(d)}.${process.pid}.${randomHex(4)}`);
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += (await fh.write(chunk, off)).bytesWritten;
}

export function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
