import { sha256Hasher } from '../sys/sha256.js';
import { SkiffError } from '../errors.js';

/** A validated `sha256:<64 lowercase hex>` string: safe to use as a path component. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
// Other algorithms are legal in the spec; skiff refuses them rather than guessing.
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function parseDigest(s: unknown, what = 'digest'): Digest {
  if (typeof s === 'string' && DIGEST_RE.test(s)) return s as Digest;
  if (typeof s === 'string' && ANY_DIGEST_RE.test(s) && !s.startsWith('sha256:')) {
    throw new SkiffError('unsupported', `unsupported ${what} algorithm: ${JSON.stringify(s.slice(0, 80))}`);
  }
  throw new SkiffError('digest-mismatch', `invalid ${what}: ${JSON.stringify(String(s).slice(0, 80))}`);
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256(data: Buffer | string): Digest {
  return `sha256:${sha256Hasher().update(data).digest('hex')}`;
}

/** chainID per image-spec: chain(L0)=diffID(L0); chain(Ln)=sha256(chain(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256(`${prev} ${d}`));
  }
  return out;
}

export function shortId(d: string, len = 12): string {
  return d.replace(/^sha256:/, '').slice(0, len);
}
