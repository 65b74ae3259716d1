// Messages between pull and its unpack workers.
import type { ErrorKind } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import type { Compression } from '../oci/media-types.js';
import type { SpaceReserve } from '../store/space-guard.js';

export type ToWorker =
  /** lowers null: apply speculatively (parents not unpacked yet). file: read the blob from there, else 'data' messages follow. */
  | { type: 'start'; tmp: string; lowers: string[] | null; compression: Compression; privileged: boolean; userNamespace: boolean; opaqueXattr: string; label: string; file?: string; spaceDir: string; reserve: SpaceReserve }
  | { type: 'data'; chunk: Uint8Array }
  | { type: 'end' }
  | { type: 'complete'; lowers: string[] };

export type FromWorker =
  | { type: 'ack'; bytes: number }
  | { type: 'applied'; diffId: Digest; bytes: number; entries: number }
  | { type: 'need-lowers' }
  | { type: 'completed'; valid: boolean }
  | { type: 'error'; kind: ErrorKind; message: string };
