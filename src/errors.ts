// One error type with an exit code, mapped to output in one place (src/cli/run-cli.ts).
// Exit codes follow docker/podman: 125 is skiff's own failure.

export const EXIT_SKIFF_FAILURE = 125;

export type ErrorKind =
  | 'usage'
  | 'not-found'
  | 'conflict'
  | 'invalid-reference'
  | 'registry'
  | 'auth'
  | 'digest-mismatch'
  | 'unsupported'
  | 'hostile-layer'
  | 'store'
  /** The disk skiff writes to is down to its reserve (src/store/space-guard.ts). */
  | 'no-space'
  | 'internal';

export class SkiffError extends Error {
  readonly kind: ErrorKind;
  readonly exitCode: number;
  /** The user has already seen this failure (runc printed it on the terminal it shares). */
  readonly reported: boolean;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; exitCode?: number; reported?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SkiffError';
    this.kind = kind;
    this.exitCode = options?.exitCode ?? EXIT_SKIFF_FAILURE;
    this.reported = options?.reported ?? false;
  }
}

export function isSkiffError(err: unknown): err is SkiffError {
  return err instanceof SkiffError;
}

/** Message of any thrown value, for wrapping lower-level failures into one line. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
