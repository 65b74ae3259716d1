// Distribution-spec client: one per registry host. Handles scheme choice, auth challenges,
// token caching, retries and redirects; callers see plain responses or SkiffErrors.
import type { Agent } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { Response, RequestInit } from 'node-fetch';
import { SkiffError, messageOf } from '../errors.js';
import { type Digest, sha256 } from '../oci/digest.js';
import { MAX_DOCUMENT_BYTES } from '../oci/manifest.js';
import { registryHost } from '../oci/reference.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { Credentials } from './docker-config.js';
import { idleWatchdog, stallError } from './idle-watchdog.js';
import { DEFAULT_RETRY, type RetryPolicy, backoffMs, isRetryableError, isRetryableStatus, parseRetryAfter, sleep } from './retry.js';

export interface RegistryClientOptions {
  /** Registry domain as in the reference (docker.io, 127.0.0.1:5000). */
  domain: string;
  /** Plain HTTP (and unverified HTTPS) allowed: loopback hosts and --insecure-registry ones. */
  insecure: boolean;
  credentials?: Credentials;
  retry?: RetryPolicy;
  /** Time allowed to receive response headers, and between body chunks. */
  timeoutMs?: number;
  userAgent?: string;
}

export type Action = 'pull' | 'push' | 'pull,push';

const MAX_REDIRECTS = 5;
// node:http and node:https load on the first request, like node-fetch: `run` and `ps` never need them.
const requireBuiltin = createRequire(import.meta.url);
let agentCache: { http: Agent; https: Agent; insecureHttps: Agent } | undefined;
function agents(): { http: Agent; https: Agent; insecureHttps: Agent } {
  if (!agentCache) {
    const http = requireBuiltin('node:http') as typeof import('node:http');
    const https = requireBuiltin('node:https') as typeof import('node:https');
    agentCache = {
      http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
      insecureHttps: new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }),
    };
  }
  return agentCache;
}

type Fetch = typeof import('node-fetch').default;
let fetchImpl: Promise<Fetch> | undefined;

/** node-fetch costs ~60 ms to load: commands that never talk to a registry do not pay it. */
async function fetch(url: string, init?: RequestInit): Promise<Response> {
  fetchImpl ??= import('node-fetch').then((m) => m.default);
  return (await fetchImpl)(url, init);
}

export function isLoopbackHost(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

export interface BlobStream {
  body: Readable;
  resumed: boolean;
  abort: () => void;
  /** The reader aborts the stream when no data came for this long (a stalled connection). */
  idleTimeoutMs: number;
  /** The whole blob's length as the server states it (Content-Length or Content-Range), when it does. */
  total?: number;
}

interface CachedToken { token: string; expiresAt: number }

export class RegistryClient {
  readonly domain: string;
  private readonly host: string;
  private scheme: 'https' | 'http' | undefined;
  private readonly opts: RegistryClientOptions;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly tokens = new Map<string, CachedToken>();
  /** The last challenge seen, so later scopes get a token without a round trip through 401. */
  private challenge: Challenge | undefined;

  constructor(opts: RegistryClientOptions) {
    this.opts = opts;
    this.domain = opts.domain;
    this.host = registryHost(opts.domain);
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** GET or HEAD a manifest by tag or digest; returns its bytes (capped) and declared media type. */
  async getManifest(repo: string, ref: string, accept: string): Promise<{ bytes: Buffer; contentType: string | undefined; digest: Digest }> {
    const { res, bytes } = await this.getDocument(repo, `/manifests/${ref}`, { Accept: accept }, 'manifest');
    const digest = sha256(bytes);
    if (ref.startsWith('sha256:') && digest !== ref) {
      throw new SkiffError('digest-mismatch', `manifest digest mismatch for ${repo}@${ref}: registry sent ${digest}`);
    }
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new SkiffError('digest-mismatch', `manifest digest mismatch for ${repo}:${ref}: header says ${claimed}, content is ${digest}`);
    }
    return { bytes, contentType: res.headers.get('content-type') ?? undefined, digest };
  }

  /** A small blob (config) read whole, size-capped and digest-checked. */
  async getSmallBlob(repo: string, digest: Digest, size: number): Promise<Buffer> {
    if (size > MAX_DOCUMENT_BYTES) throw new SkiffError('registry', `blob ${digest} is ${size} bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit for configs`);
    const { bytes } = await this.getDocument(repo, `/blobs/${digest}`, {}, 'config');
    const got = sha256(bytes);
    if (got !== digest) throw new SkiffError('digest-mismatch', `digest mismatch for ${digest}: received content hashes to ${got}`);
    if (bytes.length !== size) throw new SkiffError('digest-mismatch', `size mismatch for ${digest}: expected ${size} bytes, got ${bytes.length}`);
    return bytes;
  }

  /**
   * GETs a document (manifest, config) and reads it whole, size-capped. Its body gets the same
   * idle timeout as blob downloads; a body that stalls or breaks is requested again.
   */
  private async getDocument(repo: string, path: string, headers: Record<string, string>, what: string): Promise<{ res: Response; bytes: Buffer }> {
    for (let attempt = 0; ; attempt++) {
      const ctl = new AbortController();
      const res = await this.request('GET', repo, path, 'pull', headers, undefined, ctl);
      try {
        return { res, bytes: await readCapped(res, MAX_DOCUMENT_BYTES, what, { ms: this.timeoutMs, abort: () => ctl.abort() }) };
      } catch (err) {
        ctl.abort();
        if (err instanceof SkiffError) throw err;
        if (attempt < this.retry.retries && isRetryableError(err)) {
          await sleep(backoffMs(this.retry, attempt));
          continue;
        }
        throw new SkiffError('registry', `reading ${what} from ${this.domain} (GET /v2/${repo}${path}): ${messageOf(err)}`, { cause: err });
      }
    }
  }

  /**
   * Starts a blob download at `offset`. `resumed` tells whether the server honoured the Range
   * (206 from `offset`); when it did not, the body starts at byte 0.
   */
  async openBlob(repo: string, digest: Digest, offset = 0): Promise<BlobStream> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const ctl = new AbortController();
    const res = await this.request('GET', repo, `/blobs/${digest}`, 'pull', headers, undefined, ctl);
    let resumed = false;
    if (offset > 0 && res.status === 206) {
      const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
      resumed = m !== null && Number(m[1]) === offset;
      if (!resumed) {
        ctl.abort();
        return this.openBlob(repo, digest, 0);
      }
    }
    const total = statedLength(res, resumed);
    return { body: res.body as unknown as Readable, resumed, abort: () => ctl.abort(), idleTimeoutMs: this.timeoutMs, ...(total === undefined ? {} : { total }) };
  }

  async blobExists(repo: string, digest: Digest): Promise<boolean> {
    const res = await this.request('HEAD', repo, `/blobs/${digest}`, 'pull,push', {}, undefined, undefined, [404]);
    return res.status === 200;
  }

  /** Monolithic upload: POST to open a session, PUT with the digest. */
  async uploadBlob(repo: string, digest: Digest, data: Buffer): Promise<void> {
    const start = await this.request('POST', repo, '/blobs/uploads/', 'pull,push', { 'Content-Length': '0' });
    const location = start.headers.get('location');
    if (!location) throw new SkiffError('registry', `registry ${this.domain} gave no upload location`);
    const url = new URL(location, start.url);
    url.searchParams.set('digest', digest);
    await this.requestUrl('PUT', url.toString(), repo, 'pull,push', { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) }, data);
  }

  async putManifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<void> {
    await this.request('PUT', repo, `/manifests/${ref}`, 'pull,push', { 'Content-Type': mediaType }, body);
  }

  private async baseUrl(): Promise<string> {
    if (this.scheme === undefined) {
      this.scheme = 'https';
      if (this.opts.insecure) {
        // Like docker for insecure registries: HTTPS first, HTTP if TLS cannot be spoken at all.
        try {
          await fetch(`https://${this.host}/v2/`, { agent: agents().insecureHttps, signal: AbortSignal.timeout(this.timeoutMs) });
        } catch (err) {
          const code = (err as { code?: string }).code ?? '';
          if (/^(EPROTO|ECONNREFUSED|ECONNRESET|ERR_SSL)/.test(code) || /SSL|wrong version|EPROTO/i.test(messageOf(err))) this.scheme = 'http';
        }
      }
    }
    return `${this.scheme}://${this.host}`;
  }

  private async request(method: string, repo: string, path: string, action: Action, headers: Record<string, string> = {}, body?: Buffer, ctl?: AbortController, okStatuses: number[] = []): Promise<Response> {
    return this.requestUrl(method, `${await this.baseUrl()}/v2/${repo}${path}`, repo, action, headers, body, ctl, okStatuses);
  }

  private async requestUrl(method: string, url: string, repo: string, action: Action, headers: Record<string, string>, body?: Buffer, ctl?: AbortController, okStatuses: number[] = []): Promise<Response> {
    const scope = `repository:${repo}:${action}`;
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFollowing(method, url, scope, headers, body, ctl);
      } catch (err) {
        if (err instanceof SkiffError) throw err;
        if (attempt < this.retry.retries && isRetryableError(err)) {
          await sleep(backoffMs(this.retry, attempt));
          continue;
        }
        throw new SkiffError('registry', `${method} ${redact(url)}: ${messageOf(err)}`, { cause: err });
      }
      if (res.ok || okStatuses.includes(res.status)) return res;
      if (res.status === 401 && !authRetried) {
        const challenge = parseChallenges(res.headers.get('www-authenticate'));
        await drain(res);
        authRetried = true;
        await this.authenticate(challenge, scope);
        attempt--;
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < this.retry.retries) {
        const after = parseRetryAfter(res.headers.get('retry-after'));
        await drain(res);
        if (after !== undefined && after > this.retry.maxDelayMs) {
          throw new SkiffError('registry', `${this.domain} asked to retry after ${Math.round(after / 1000)}s (status ${res.status}); giving up`);
        }
        await sleep(after ?? backoffMs(this.retry, attempt));
        continue;
      }
      throw await statusError(method, url, res, repo);
    }
  }

  private async fetchFollowing(method: string, url: string, scope: string, headers: Record<string, string>, body?: Buffer, ctl?: AbortController): Promise<Response> {
    let current = new URL(url);
    const origin = current.host;
    for (let hop = 0; ; hop++) {
      const h: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'skiff', ...headers };
      // Credentials go only to the registry itself, never to a host a redirect names.
      if (current.host === origin) {
        const auth = this.authorization(scope);
        if (auth) h.Authorization = auth;
      }
      // Each attempt gets its own controller, so a header timeout does not leave the caller's
      // controller aborted for the retries that follow; the caller's abort still reaches it
      // (that is how a blob reader cancels the body).
      const attemptCtl = new AbortController();
      const forward = (): void => attemptCtl.abort();
      if (ctl?.signal.aborted) attemptCtl.abort();
      ctl?.signal.addEventListener('abort', forward, { once: true });
      const t = setTimeout(() => attemptCtl.abort(), this.timeoutMs);
      const init: RequestInit = {
        method,
        headers: h,
        redirect: 'manual',
        signal: attemptCtl.signal as RequestInit['signal'],
        agent: current.protocol === 'http:' ? agents().http : this.opts.insecure ? agents().insecureHttps : agents().https,
      };
      if (body !== undefined) init.body = body;
      let res: Response;
      try {
        res = await fetch(current.toString(), init);
      } catch (err) {
        ctl?.signal.removeEventListener('abort', forward);
        throw err;
      } finally {
        clearTimeout(t);
      }
      if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
      const location = res.headers.get('location');
      if (!location) return res;
      await drain(res);
      ctl?.signal.removeEventListener('abort', forward);
      if (hop >= MAX_REDIRECTS) throw new SkiffError('registry', `too many redirects fetching ${redact(url)}`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:') {
        throw new SkiffError('registry', `refusing redirect from https to ${next.protocol.replace(':', '')} (${redact(next.toString())})`);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new SkiffError('registry', `refusing redirect to ${next.protocol} URL`);
      current = next;
      // A redirect target other than the registry gets a fresh, unauthenticated request.
      if (res.status === 303) method = 'GET';
    }
  }

  private authorization(scope: string): string | undefined {
    const tok = this.tokens.get(scope);
    if (tok && tok.expiresAt > Date.now()) return `Bearer ${tok.token}`;
    if (this.challenge?.scheme === 'basic' && this.opts.credentials?.username) return basicAuth(this.opts.credentials);
    return undefined;
  }

  private async authenticate(challenges: Challenge[], scope: string): Promise<void> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      this.challenge = bearer;
      await this.fetchToken(bearer, scope);
      return;
    }
    if (basic) {
      if (!this.opts.credentials?.username) {
        throw new SkiffError('auth', `${this.domain} requires authentication and no credentials are configured (docker login writes them to $DOCKER_CONFIG/config.json)`);
      }
      this.challenge = basic;
      return;
    }
    throw new SkiffError('auth', `${this.domain} refused the request (401) without a usable authentication challenge`);
  }

  private async fetchToken(challenge: Challenge, scope: string): Promise<void> {
    const realm = challenge.params.realm;
    if (!realm) throw new SkiffError('auth', `${this.domain} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new SkiffError('auth', `${this.domain} sent an invalid token realm ${JSON.stringify(realm)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SkiffError('auth', `token realm ${JSON.stringify(realm)} is not http(s)`);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'skiff' };
    const creds = this.opts.credentials;
    if (creds?.username && creds.password !== undefined) {
      // Secrets never travel in clear text to a host that is not on this machine.
      if (url.protocol === 'http:' && !isLoopbackHost(url.host)) {
        throw new SkiffError('auth', `refusing to send credentials to token realm over plain http (${url.host})`);
      }
      headers.Authorization = basicAuth(creds);
    }
    let lastErr: unknown;
    for (let attempt = 0; attempt <= this.retry.retries; attempt++) {
      try {
        const res = await fetch(url.toString(), {
          headers,
          agent: url.protocol === 'http:' ? agents().http : this.opts.insecure ? agents().insecureHttps : agents().https,
          signal: AbortSignal.timeout(this.timeoutMs) as RequestInit['signal'],
        });
        if (isRetryableStatus(res.status) && attempt < this.retry.retries) {
          await drain(res);
          await sleep(parseRetryAfter(res.headers.get('retry-after')) ?? backoffMs(this.retry, attempt));
          continue;
        }
        if (!res.ok) {
          await drain(res);
          throw new SkiffError('auth', `token request to ${url.host} failed: ${res.status} ${res.statusText}${res.status === 401 ? ' (check credentials)' : ''}`);
        }
        const body = JSON.parse((await readCapped(res, 1024 * 1024, 'token response')).toString('utf8')) as { token?: string; access_token?: string; expires_in?: number };
        const token = body.token ?? body.access_token;
        if (!token) throw new SkiffError('auth', `token response from ${url.host} has no token`);
        const ttl = Math.max(60, body.expires_in ?? 60) * 1000;
        this.tokens.set(scope, { token, expiresAt: Date.now() + ttl - 10_000 });
        return;
      } catch (err) {
        if (err instanceof SkiffError) throw err;
        lastErr = err;
        if (!isRetryableError(err)) break;
        await sleep(backoffMs(this.retry, attempt));
      }
    }
    throw new SkiffError('auth', `token request to ${url.host} failed: ${messageOf(lastErr)}`, { cause: lastErr });
  }
}

function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
}

function redact(url: string): string {
  return url.replace(/([?&])(X-Amz-Signature|sig|signature|token)=[^&]*/gi, '$1$2=…');
}

async function drain(res: Response): Promise<void> {
  try {
    await res.arrayBuffer();
  } catch {
    // The body is being discarded anyway.
  }
}

/**
 * Reads a body whole, refusing more than `cap` bytes (by header or by counting). With `idle`,
 * a body that sends nothing for `idle.ms` is aborted (a stalled connection) and the read
 * fails with a retryable ETIMEDOUT error.
 */
export async function readCapped(res: Response, cap: number, what: string, idle?: { ms: number; abort: () => void }): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    if (idle) idle.abort();
    else await drain(res).catch(() => {});
    throw new SkiffError('registry', `${what} is ${declared} bytes, over the ${cap}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  const watch = idle ? idleWatchdog(idle.ms, idle.abort) : undefined;
  try {
    watch?.arm();
    for await (const chunk of res.body as unknown as AsyncIterable<Buffer>) {
      watch?.arm();
      n += chunk.length;
      if (n > cap) {
        (res.body as unknown as Readable).destroy();
        throw new SkiffError('registry', `${what} is over the ${cap}-byte limit`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (watch?.stalled) throw stallError(idle!.ms, err);
    throw err;
  } finally {
    watch?.stop();
  }
  return Buffer.concat(chunks);
}

async function statusError(method: string, url: string, res: Response, repo: string): Promise<SkiffError> {
  let detail = '';
  try {
    const text = (await readCapped(res, 64 * 1024, 'error body')).toString('utf8');
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) detail = `: ${e.code ?? ''}${e.message ? ` ${e.message}` : ''}`.trimEnd();
  } catch {
    // Not a distribution-spec error body.
  }
  if (res.status === 404) return new SkiffError('not-found', `${repo}: not found in registry (${method} ${new URL(url).pathname})${detail}`);
  if (res.status === 401 || res.status === 403) return new SkiffError('auth', `access to ${repo} denied (${res.status})${detail}`);
  return new SkiffError('registry', `${method} ${redact(url)}: ${res.status} ${res.statusText}${detail}`);
}

/** A blob response's whole length: from Content-Range when resumed, else Content-Length, unless the body is re-encoded in transit. */
function statedLength(res: Response, resumed: boolean): number | undefined {
  const encoding = res.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const text = resumed ? /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] : res.headers.get('content-length');
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
}
