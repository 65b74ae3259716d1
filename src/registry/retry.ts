// Retry policy for registry requests: which failures are worth another try, and how long to wait.

export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  baseDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails instead. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 };

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isRetryableError(err: unknown): boolean {
  const e = err as { code?: string; errno?: string; type?: string; name?: string; cause?: unknown };
  if (e?.name === 'AbortError' || e?.type === 'aborted') return true;
  const code = e?.code ?? e?.errno;
  if (code && RETRYABLE_CODES.has(code)) return true;
  if (e?.type === 'system' || e?.type === 'request-timeout' || e?.type === 'body-timeout') return true;
  return e?.cause !== undefined && e.cause !== err ? isRetryableError(e.cause) : false;
}

/** Milliseconds the server asked us to wait (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only an HTTP-date beyond this point (it names a day and month): Date.parse reads "1.5" or
  // "-1" as dates long past, which would turn a malformed value into "retry immediately".
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Exponential backoff with jitter for attempt n (0-based). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = policy.baseDelayMs * 2 ** attempt;
  return Math.min(policy.maxDelayMs, base / 2 + Math.random() * (base / 2));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
