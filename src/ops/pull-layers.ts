// Fetches and unpacks an image's layers. Each missing layer streams from the registry into its
// own worker (up to POOL at once), so downloads and unpacks of different layers overlap. A layer
// whose parents are still unpacking is applied speculatively and checked once they are there
// (or applied again when the check fails); snapshots are published strictly in order, each
// after its diff_id is verified.
import { SkiffError } from '../errors.js';
import { type Digest, chainIds } from '../oci/digest.js';
import { OVERLAY_TRUSTED, OVERLAY_USER } from '../oci/layer/merged-view.js';
import { inUserNamespace } from '../sys/rootless-identity.js';
import { layerCompression } from '../oci/media-types.js';
import type { ImageConfig, ImageManifest } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';
import type { LayerRecord } from '../store/images.js';
import type { Lease } from '../store/leases.js';
import type { Store } from '../store/store.js';
import { SpaceGuard, type SpaceReserve } from '../store/space-guard.js';
import type { PullEvent } from './pull.js';
import { type Applied, UnpackPool, type UnpackWorker } from './unpack-pool.js';

const POOL = 3;

interface Task {
  record: LayerRecord;
  tmp: string;
  worker: UnpackWorker;
  speculative: boolean;
  applied: Applied;
}

export async function pullLayers(client: RegistryClient, store: Store, lease: Lease, repo: string, m: ImageManifest, config: ImageConfig, reserves: { snapshots: SpaceReserve; ingest: SpaceReserve }, emit: (e: PullEvent) => void): Promise<LayerRecord[]> {
  const diffIds = config.rootfs.diff_ids;
  const chains = chainIds(diffIds);
  const records: LayerRecord[] = m.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, chainId: chains[i]! }));
  const missing = records.map((r) => {
    lease.add('snapshot', r.chainId);
    return store.snapshots.get(r.chainId) === undefined;
  });
  records.forEach((r, i) => emit({ type: 'layer', digest: r.digest, status: missing[i] ? 'waiting' : 'exists', total: r.size }));
  const count = missing.filter(Boolean).length;
  if (count === 0) return records;

  const privileged = process.getuid?.() === 0;
  // Rootless, overlay reads whiteouts from user.* xattrs (mounted with userxattr).
  const userNamespace = inUserNamespace();
  const format = privileged && !userNamespace ? OVERLAY_TRUSTED : OVERLAY_USER;
  const pool = new UnpackPool(Math.min(POOL, count));
  const committed = new Set<number>();
  const tmps = new Set<string>();
  const downloads: Promise<void>[] = [];
  let aborted = false;

  const jobFor = (record: LayerRecord, tmp: string, lowers: string[] | null) => ({
    tmp,
    lowers,
    compression: layerCompression(record.mediaType)!,
    privileged,
    userNamespace,
    opaqueXattr: format.opaqueXattr,
    label: record.digest,
    spaceDir: store.paths.snapshots,
    reserve: reserves.snapshots,
  });

  const startTask = async (i: number): Promise<Task> => {
    const record = records[i]!;
    const worker = await pool.acquire();
    if (aborted) throw new SkiffError('internal', 'pull aborted');
    const speculative = missing.some((mis, j) => mis && j < i && !committed.has(j));
    const tmp = store.snapshots.prepare();
    tmps.add(tmp);
    lease.add('blob', record.digest);
    const job = jobFor(record, tmp, speculative ? null : lowersBelow(i));
    let downloaded: Promise<void>;
    if (store.content.has(record.digest)) {
      emit({ type: 'layer', digest: record.digest, status: 'extracting', total: record.size });
      worker.start({ ...job, file: store.content.path(record.digest) });
      downloaded = Promise.resolve();
    } else {
      worker.start(job);
      emit({ type: 'layer', digest: record.digest, status: 'downloading', current: 0, total: record.size });
      downloaded = store.content
        .ingest({ mediaType: record.mediaType, digest: record.digest, size: record.size }, {
          open: (offset) => client.openBlob(repo, record.digest, offset),
          onData: (c) => worker.write(c),
          space: new SpaceGuard(store.paths.ingest, reserves.ingest, `layer ${record.digest}`),
          onProgress: (n) => emit({ type: 'layer', digest: record.digest, status: 'downloading', current: n, total: record.size }),
        })
        .then(() => {
          worker.end();
          emit({ type: 'layer', digest: record.digest, status: 'extracting', total: record.size });
        });
      downloads.push(downloaded.catch(() => {}));
    }
    // A download failure (a digest mismatch above all) is the layer's failure, whatever the
    // worker made of the bytes so far: corrupt bytes must not be reported as a bad layer.
    await downloaded;
    const applied = await worker.applied();
    return { record, tmp, worker, speculative, applied };
  };

  const lowers: string[] = [];
  const lowersBelow = (i: number): string[] => {
    const out: string[] = [];
    for (let j = i - 1; j >= 0; j--) out.push(store.snapshots.get(records[j]!.chainId)!.dir);
    return out;
  };

  const tasks = new Map<number, Promise<Task>>();
  for (let i = 0; i < records.length; i++) {
    if (!missing[i]) continue;
    const t = startTask(i);
    t.catch(() => {});
    tasks.set(i, t);
  }
  try {
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (!missing[i]) {
        lowers.unshift(store.snapshots.get(r.chainId)!.dir);
        continue;
      }
      const task = await tasks.get(i)!;
      let applied = task.applied;
      const valid = applied.kind === 'applied' && (!task.speculative || (await task.worker.complete([...lowers])));
      if (!valid) {
        // The speculation did not hold: apply again, now with the parents, from the stored blob.
        task.worker.start({ ...jobFor(r, store.snapshots.reset(task.tmp), [...lowers]), file: store.content.path(r.digest) });
        applied = await task.worker.applied();
      }
      if (applied.kind !== 'applied') throw new SkiffError('internal', `layer ${r.digest} could not be applied over its parents`);
      if (applied.diffId !== r.diffId) {
        throw new SkiffError('digest-mismatch', `layer ${r.digest} unpacks to ${applied.diffId}, but the image config says ${r.diffId}`);
      }
      const parent: Digest | null = i === 0 ? null : records[i - 1]!.chainId;
      const rec = store.snapshots.commit(task.tmp, { chainId: r.chainId, parent, diffId: applied.diffId, size: applied.bytes });
      tmps.delete(task.tmp);
      committed.add(i);
      pool.release(task.worker);
      lowers.unshift(rec.dir);
      emit({ type: 'layer', digest: r.digest, status: 'done', total: r.size });
    }
  } finally {
    aborted = true;
    // Nothing may still write into the store once pull returns or fails.
    await pool.close();
    await Promise.allSettled([...tasks.values()]);
    await Promise.allSettled(downloads);
    for (const t of tmps) store.snapshots.discard(t);
  }
  return records;
}
