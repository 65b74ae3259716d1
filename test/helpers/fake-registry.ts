// Test-only: an in-process registry (node:http on 127.0.0.1) serving just enough of the
// distribution spec to pull images, with hooks to inject the faults a real registry won't
// produce: lying bodies, truncated or stalled responses, odd statuses, redirects, auth.
// Use the real registry (helpers/registry.ts) for everything else.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzip } from './tar-writer.js';

/** Returns true when it answered the request itself; false lets the next handler (or the registry) answer. */
export type FakeHandler = (req: IncomingMessage, res: ServerResponse, info: RequestInfo) => boolean | Promise<boolean>;

export interface RequestInfo {
  method: string;
  /** Path without the query string. */
  path: string;
  url: URL;
  /** The how-manyth request to this path (1-based). */
  nth: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface FakeImage {
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  config: Buffer;
  configDigest: string;
  layers: Buffer[];
  layerDigests: string[];
  diffIds: string[];
}

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export function sha256(buf: Buffer | string): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

/**
 * Builds an OCI image from uncompressed layer tars (gzip-compressed unless told otherwise).
 * `manifestExtra` is merged into the manifest JSON (to craft contradictory documents), and
 * `layerMediaType` overrides every layer's media type.
 */
export function buildImage(
  tars: Buffer[],
  opts: { compression?: 'gzip' | 'none'; manifestExtra?: Record<string, unknown>; layerMediaType?: string; platform?: { os: string; architecture: string } } = {},
): FakeImage {
  const gz = (opts.compression ?? 'gzip') === 'gzip';
  const layers = tars.map((t) => (gz ? gzip(t) : t));
  const layerDigests = layers.map((l) => sha256(l));
  const diffIds = tars.map((t) => sha256(t));
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(JSON.stringify({ created: '2024-01-01T00:00:00Z', ...platform, config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configDigest = sha256(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.manifest,
      config: { mediaType: OCI.config, digest: configDigest, size: config.length },
      layers: layers.map((l, i) => ({ mediaType: opts.layerMediaType ?? (gz ? OCI.layerGzip : OCI.layer), digest: layerDigests[i], size: l.length })),
      ...opts.manifestExtra,
    }),
  );
  return { manifest, manifestDigest: sha256(manifest), mediaType: OCI.manifest, config, configDigest, layers, layerDigests, diffIds };
}

interface StoredManifest {
  body: Buffer;
  contentType: string;
  /** Sent as Docker-Content-Digest; defaults to the body's real digest. */
  digestHeader?: string;
}

export class FakeRegistry {
  readonly server: http.Server;
  port = 0;
  /** Blobs by digest (shared by every repository). */
  readonly blobs = new Map<string, Buffer>();
  /** Manifests by `${repo}@${ref}` (ref: tag or digest). */
  readonly manifests = new Map<string, StoredManifest>();
  /** Every request, in arrival order. */
  readonly requests: SeenRequest[] = [];
  private readonly handlers: FakeHandler[] = [];
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  /** Responses held open by faults (stalls); ended on reset/close. */
  private readonly held = new Set<ServerResponse>();

  private constructor() {
    this.server = http.createServer((req, res) => {
      void this.dispatch(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(String(err));
        } else {
          res.destroy();
        }
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // The client's TLS probe (https first for insecure hosts) lands here as garbage.
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  static async start(): Promise<FakeRegistry> {
    const r = new FakeRegistry();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  /** host:port as a reference domain. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  /** Adds a fault handler; handlers run in the order added, before the registry itself. */
  intercept(h: FakeHandler): void {
    this.handlers.push(h);
  }

  /** Forgets handlers, counters and seen requests, and ends held responses (content stays). */
  reset(): void {
    this.handlers.length = 0;
    this.counts.clear();
    this.requests.length = 0;
    for (const r of this.held) r.destroy();
    this.held.clear();
  }

  /** Keeps a response open (a stalled connection) until reset/close. */
  hold(res: ServerResponse): void {
    this.held.add(res);
  }

  /** How many requests reached this path (any method), query string ignored. */
  count(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /** The Authorization header of each request to this path, in order (undefined when absent). */
  authSeen(path: string): (string | undefined)[] {
    return this.requests.filter((r) => r.path === path).map((r) => r.headers.authorization);
  }

  /** Headers of each request to this path, in order. */
  headersSeen(path: string): http.IncomingHttpHeaders[] {
    return this.requests.filter((r) => r.path === path).map((r) => r.headers);
  }

  addBlob(data: Buffer, digest = sha256(data)): string {
    this.blobs.set(digest, data);
    return digest;
  }

  addManifest(repo: string, ref: string, body: Buffer, contentType: string, digestHeader?: string): void {
    this.manifests.set(`${repo}@${ref}`, { body, contentType, ...(digestHeader ? { digestHeader } : {}) });
  }

  /** Serves an image's blobs, and its manifest under the tag and under its digest. */
  serveImage(repo: string, tag: string, img: FakeImage): void {
    this.addBlob(img.config, img.configDigest);
    img.layers.forEach((l, i) => this.addBlob(l, img.layerDigests[i]));
    this.addManifest(repo, tag, img.manifest, img.mediaType);
    this.addManifest(repo, img.manifestDigest, img.manifest, img.mediaType);
  }

  blobPath(repo: string, digest: string): string {
    return `/v2/${repo}/blobs/${digest}`;
  }

  manifestPath(repo: string, ref: string): string {
    return `/v2/${repo}/manifests/${ref}`;
  }

  async close(): Promise<void> {
    this.reset();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const path = url.pathname;
    const nth = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, nth);
    // A copy: handlers may rewrite req.headers (e.g. to ignore Range).
    this.requests.push({ method: req.method ?? 'GET', path, headers: { ...req.headers } });
    const info: RequestInfo = { method: req.method ?? 'GET', path, url, nth };
    for (const h of this.handlers) {
      if (await h(req, res, info)) return;
    }
    this.serve(req, res, info);
  }

  private serve(req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
    const head = info.method === 'HEAD';
    if (info.path === '/v2/' || info.path === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end(head ? undefined : '{}');
      return;
    }
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(info.path);
    if (m) {
      const got = this.manifests.get(`${m[1]}@${m[2]}`);
      if (!got) return notFound(res, 'MANIFEST_UNKNOWN', 'manifest unknown');
      res.writeHead(200, {
        'Content-Type': got.contentType,
        'Content-Length': String(got.body.length),
        'Docker-Content-Digest': got.digestHeader ?? sha256(got.body),
      });
      res.end(head ? undefined : got.body);
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(info.path);
    if (m) {
      const blob = this.blobs.get(m[2]!);
      if (!blob) return notFound(res, 'BLOB_UNKNOWN', 'blob unknown to registry');
      sendBlob(req, res, blob, m[2]!);
      return;
    }
    notFound(res, 'NOT_FOUND', `no route for ${info.path}`);
  }
}

function notFound(res: ServerResponse, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Sends a blob, honouring `Range: bytes=a-` / `bytes=a-b` with 206 (416 when unsatisfiable). */
export function sendBlob(req: IncomingMessage, res: ServerResponse, blob: Buffer, digest: string): void {
  const head = req.method === 'HEAD';
  const base = { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest, 'Accept-Ranges': 'bytes' };
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), blob.length - 1) : blob.length - 1;
    if (start >= blob.length || end < start) {
      res.writeHead(416, { ...base, 'Content-Range': `bytes */${blob.length}` });
      res.end();
      return;
    }
    const part = blob.subarray(start, end + 1);
    res.writeHead(206, { ...base, 'Content-Length': String(part.length), 'Content-Range': `bytes ${start}-${end}/${blob.length}` });
    res.end(head ? undefined : part);
    return;
  }
  res.writeHead(200, { ...base, 'Content-Length': String(blob.length) });
  res.end(head ? undefined : blob);
}

/** Sends the first `bytes` of a blob with the full Content-Length, then breaks the connection. */
export function sendTruncated(res: ServerResponse, blob: Buffer, bytes: number): void {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.length) });
  res.write(blob.subarray(0, bytes), () => {
    // Let the bytes reach the client before the reset.
    setTimeout(() => res.socket?.destroy(), 20);
  });
}
