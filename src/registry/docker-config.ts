// Credentials from $DOCKER_CONFIG/config.json (or ~/.docker/config.json), as docker login writes them.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker login with a token-based identity). */
  identityToken?: string;
}

const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

function configPath(env: NodeJS.ProcessEnv): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

function normalizeKey(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '').toLowerCase();
}

/** Looks up credentials for a registry domain; undefined when there are none (or no config). */
export function lookupCredentials(domain: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  let raw: string;
  try {
    raw = readFileSync(configPath(env), 'utf8');
  } catch {
    return undefined;
  }
  let auths: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  try {
    auths = (JSON.parse(raw) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return undefined;
  }
  const wanted = domain === 'docker.io' ? HUB_KEYS.map(normalizeKey) : [domain.toLowerCase()];
  for (const [key, entry] of Object.entries(auths)) {
    if (!wanted.includes(normalizeKey(key)) || !entry) continue;
    const creds: Credentials = {};
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        creds.username = decoded.slice(0, colon);
        creds.password = decoded.slice(colon + 1);
      }
    }
    if (entry.username) creds.username = entry.username;
    if (entry.password) creds.password = entry.password;
    if (entry.identitytoken) creds.identityToken = entry.identitytoken;
    if (creds.username || creds.identityToken) return creds;
  }
  return undefined;
}
