// Opens a store root: directories, database and the typed stores over them.
import { mkdirSync, chmodSync } from 'node:fs';
import { SkiffError, messageOf } from '../errors.js';
import { ContainerStore } from './containers.js';
import { ContentStore } from './content.js';
import { type Db, openDb } from './db.js';
import { sweepDebris } from './debris.js';
import { ImageStore } from './images.js';
import { SnapshotStore } from './snapshots.js';
import { type StorePaths, storePaths } from './paths.js';

export interface Store {
  paths: StorePaths;
  db: Db;
  content: ContentStore;
  images: ImageStore;
  snapshots: SnapshotStore;
  containers: ContainerStore;
  close(): void;
}

export function openStore(root: string): Store {
  const paths = storePaths(root);
  let db: Db;
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    chmodSync(root, 0o700);
    for (const d of [paths.blobs, paths.ingest, paths.snapshots, paths.tmp, paths.containers]) mkdirSync(d, { recursive: true, mode: 0o700 });
    db = openDb(paths.db);
  } catch (err) {
    throw new SkiffError('store', `cannot open store at ${root}: ${messageOf(err)}`, { cause: err });
  }
  sweepDebris(paths);
  return {
    paths,
    db,
    content: new ContentStore(paths),
    images: new ImageStore(db),
    snapshots: new SnapshotStore(paths, db),
    containers: new ContainerStore(db),
    close: () => db.close(),
  };
}
