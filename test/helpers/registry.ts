// Test-only: run Debian's docker-registry (CNCF distribution 2.8) on a free
// loopback port with throwaway filesystem storage.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RunningRegistry {
  /** '127.0.0.1:PORT' */
  host: string;
  /** 'http://127.0.0.1:PORT' */
  url: string;
  /** temp dir holding config.yml and storage/ */
  dataDir: string;
  stop(): Promise<void>;
}

// One 'exit' handler for all registries this process started (child -> data dir).
const live = new Map<ChildProcess, string>();
let exitHandlerInstalled = false;
function track(child: ChildProcess, dataDir: string): void {
  live.set(child, dataDir);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', () => {
      for (const [c, dir] of live) {
        try {
          c.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      }
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not get a free port'));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RegistryOptions {
  /** http.relativeurls: Location headers become '/v2/...' paths instead of absolute URLs. */
  relativeUrls?: boolean;
  /** Serve HTTPS with a fresh self-signed certificate (made with openssl) instead of HTTP. */
  tls?: boolean;
  /** Serve another registry's storage (e.g. an HTTPS front for what was pushed over HTTP). */
  storageDir?: string;
}

function configYaml(port: number, storageDir: string, opts: RegistryOptions, certDir: string): string {
  // JSON strings are valid YAML scalars: quote paths safely.
  const q = (s: string) => JSON.stringify(s);
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${port}`)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    `  relativeurls: ${opts.relativeUrls ? 'true' : 'false'}`,
    ...(opts.tls ? ['  tls:', `    certificate: ${q(join(certDir, 'cert.pem'))}`, `    key: ${q(join(certDir, 'key.pem'))}`] : []),
    '',
  ].join('\n');
}

/** GET status, accepting the self-signed certificate of a TLS test registry. */
function probe(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function tryStart(opts: RegistryOptions): Promise<RunningRegistry> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  const configPath = join(dataDir, 'config.yml');
  const storage = opts.storageDir ?? join(dataDir, 'storage');
  if (opts.tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dataDir, 'key.pem'), '-out', join(dataDir, 'cert.pem')], { stdio: 'ignore' });
  }
  await writeFile(configPath, configYaml(port, storage, opts, dataDir));

  // REGISTRY_* variables override the config file: keep the caller's out.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;

  const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'], env });
  track(child, dataDir);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-64 * 1024);
  });
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  // A forgotten stop() must not keep the test process alive.
  child.unref();
  (child.stderr as (Readable & { unref?: () => void }) | null)?.unref?.();

  const host = `127.0.0.1:${port}`;
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited(child)) {
      child.ref(); // keep the loop alive until it is really gone
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited(child)) child.kill('SIGKILL');
      }, 3000);
      await exitPromise;
      clearTimeout(timer);
    }
    child.stderr?.destroy();
    live.delete(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`docker-registry: cannot start ${REGISTRY_BIN}: ${spawnError.message}`);
    }
    if (exited(child)) {
      const why = `code ${child.exitCode ?? ''} signal ${child.signalCode ?? ''}`;
      const err = stderr.trim();
      await stop();
      throw Object.assign(new Error(`docker-registry exited early (${why}): ${err}`), { stderr: err });
    }
    try {
      if ((await probe(`${url}/v2/`)) === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      const err = stderr.trim();
      await stop();
      throw new Error(`docker-registry did not answer GET /v2/ within 15 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return { host, url, dataDir, stop };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  // The free port may be taken between probe and bind: retry a few times.
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await tryStart(opts);
    } catch (err) {
      lastErr = err;
      if (!/address already in use/i.test(String((err as Error).message))) throw err;
    }
  }
  throw lastErr;
}
