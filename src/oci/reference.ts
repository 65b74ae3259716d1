import { SkiffError } from '../errors.js';
import { type Digest, parseDigest } from './digest.js';

/** A fully qualified image reference, e.g. docker.io/library/busybox:latest or host:5000/ns/app@sha256:… */
export interface Reference {
  /** Registry host as the user names it (docker.io, localhost:5000). */
  domain: string;
  /** Repository path inside the registry (library/busybox). */
  path: string;
  tag?: string;
  digest?: Digest;
}

const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DOMAIN_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

function invalid(input: string, why: string): SkiffError {
  return new SkiffError('invalid-reference', `invalid image reference ${JSON.stringify(input)}: ${why}`);
}

/** Parses a docker-style reference; short names get docker.io, single components get library/, and no tag or digest means :latest. */
export function parseReference(input: string): Reference {
  if (input.length === 0) throw invalid(input, 'empty');
  if (input.length > 512) throw invalid(input.slice(0, 40) + '…', 'too long');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    try {
      digest = parseDigest(rest.slice(at + 1));
    } catch {
      throw invalid(input, 'digest must be sha256: followed by 64 lowercase hex digits');
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, `bad tag ${JSON.stringify(tag)}`);
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      if (!DOMAIN_RE.test(first)) throw invalid(input, `bad registry host ${JSON.stringify(first)}`);
      domain = first.toLowerCase();
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = DEFAULT_DOMAIN;
  if (path.length === 0) throw invalid(input, 'missing repository name');
  if (path !== path.toLowerCase()) throw invalid(input, 'repository name must be lowercase');
  const components = path.split('/');
  for (const c of components) {
    if (!COMPONENT_RE.test(c)) throw invalid(input, `bad repository name component ${JSON.stringify(c)}`);
  }
  if (domain === DEFAULT_DOMAIN && components.length === 1) path = `library/${path}`;
  if (domain.length + 1 + path.length > 255) throw invalid(input, 'repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** docker.io/library/busybox */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical string: name[:tag][@digest]. */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Short form for display, as docker shows it: busybox, ghcr.io/x/y. */
export function familiarName(repo: string): string {
  const official = repo.slice(`${DEFAULT_DOMAIN}/library/`.length);
  // library/ is implied only for single-component names: docker.io/library/a/b stays library/a/b.
  if (repo.startsWith(`${DEFAULT_DOMAIN}/library/`) && !official.includes('/')) return official;
  if (repo.startsWith(`${DEFAULT_DOMAIN}/`)) return repo.slice(DEFAULT_DOMAIN.length + 1);
  return repo;
}

/** Host to contact for a reference's domain. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}
