import type { ImagesFlags } from '../commands/images.js';
import { shortId } from '../oci/digest.js';
import { familiarName, parseReference, repositoryName } from '../oci/reference.js';
import type { ImageRecord } from '../store/images.js';
import { humanSize, timeAgo } from './humanize.js';
import type { CliIO } from './io.js';
import { renderList } from './render-list.js';

export interface ImageRow {
  Repository: string;
  Tag: string;
  ID: string;
  Digest: string;
  CreatedAt: string;
  CreatedSince: string;
  Platform: string;
  Size: string;
  BlobSize: string;
  Name: string;
}

function toRow(r: ImageRecord, noTrunc: boolean): ImageRow {
  return {
    Repository: familiarName(r.repository),
    Tag: r.tag ?? '<none>',
    ID: noTrunc ? r.configDigest : shortId(r.configDigest),
    Digest: r.digest,
    CreatedAt: r.created ?? '',
    CreatedSince: timeAgo(r.created),
    Platform: r.platform,
    Size: humanSize(r.size),
    BlobSize: humanSize(r.blobSize),
    Name: r.name,
  };
}

export function renderImages(io: CliIO, records: ImageRecord[], opts: ImagesFlags, repository?: string): void {
  let recs = records;
  if (repository) {
    const ref = parseReference(repository);
    const repo = repositoryName(ref);
    const tagGiven = /:[\w][\w.-]*$/.test(repository.split('/').pop() ?? '');
    recs = recs.filter((r) => r.repository === repo && (!tagGiven || r.tag === ref.tag));
  }
  const rows = recs.map((r) => toRow(r, !opts.trunc));
  renderList(io, rows, opts, (r) => r.ID, (rs) => ({
    headers: ['REPOSITORY', 'TAG', ...(opts.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'PLATFORM', 'SIZE', 'BLOB SIZE'],
    body: rs.map((r) => [r.Repository, r.Tag, ...(opts.digests ? [r.Digest] : []), r.ID, r.CreatedSince, r.Platform, r.Size, r.BlobSize]),
  }), { ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', BlobSize: 'BLOB SIZE' });
}
