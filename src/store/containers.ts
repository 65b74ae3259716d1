// Container records. The row is written before anything exists on disk and deleted after
// everything is gone, so a killed command always leaves a record the next `rm` can finish.
import { SkiffError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { type Db, immediate } from './db.js';

export type ContainerState = 'created' | 'running' | 'exited';
export type Monitor = 'conmon' | 'skiff';

export interface ContainerRecord<S = unknown> {
  id: string;
  name: string;
  image: string;
  imageId: Digest;
  /** Snapshot chain IDs, bottom layer first. */
  layers: Digest[];
  command: string[];
  labels: Record<string, string>;
  /** The options it was created with; opaque to the store. */
  spec: S;
  state: ContainerState;
  monitor: Monitor | null;
  /** The waiting process (a foreground skiff, or conmon) and its start time in clock ticks. */
  monitorPid: number | null;
  monitorStart: number | null;
  pid: number | null;
  /** The init process's start time (clock ticks after boot), to tell it from a reused pid. */
  pidStart: number | null;
  exitCode: number | null;
  autoRemove: boolean;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

interface Row {
  id: string; name: string; image: string; image_id: string; layers: string; command: string; labels: string; spec: string;
  state: string; monitor: string | null; monitor_pid: number | null; monitor_start: number | null; pid: number | null; pid_start: number | null; exit_code: number | null; auto_remove: number;
  created_at: number; started_at: number | null; finished_at: number | null;
}

function fromRow<S>(r: Row): ContainerRecord<S> {
  let spec: S | undefined;
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    imageId: r.image_id as Digest,
    layers: JSON.parse(r.layers) as Digest[],
    command: JSON.parse(r.command) as string[],
    labels: JSON.parse(r.labels) as Record<string, string>,
    // Parsed on first use: listing 100 containers (ps) never needs the options they were made with.
    get spec(): S {
      spec ??= JSON.parse(r.spec) as S;
      return spec;
    },
    state: r.state as ContainerState,
    monitor: r.monitor as Monitor | null,
    monitorPid: r.monitor_pid,
    monitorStart: r.monitor_start,
    pid: r.pid,
    pidStart: r.pid_start,
    exitCode: r.exit_code,
    autoRemove: r.auto_remove !== 0,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export type StateUpdate = Partial<Pick<ContainerRecord, 'state' | 'monitor' | 'monitorPid' | 'monitorStart' | 'pid' | 'pidStart' | 'exitCode' | 'startedAt' | 'finishedAt'>>;

const COLUMNS: Record<keyof StateUpdate, string> = {
  state: 'state', monitor: 'monitor', monitorPid: 'monitor_pid', monitorStart: 'monitor_start', pid: 'pid', pidStart: 'pid_start', exitCode: 'exit_code', startedAt: 'started_at', finishedAt: 'finished_at',
};

export class ContainerStore {
  constructor(private readonly db: Db) {}

  /** Inserts a new record; a taken name is a conflict, decided by the UNIQUE constraint. */
  create(rec: ContainerRecord): void {
    try {
      immediate(this.db, () => {
        this.db
          .prepare(
            `INSERT INTO containers (id, name, image, image_id, layers, command, labels, spec, state, monitor, monitor_pid, monitor_start, pid, pid_start, exit_code, auto_remove, created_at, started_at, finished_at)
             VALUES (@id, @name, @image, @imageId, @layers, @command, @labels, @spec, @state, @monitor, @monitorPid, @monitorStart, @pid, @pidStart, @exitCode, @autoRemove, @createdAt, @startedAt, @finishedAt)`,
          )
          .run({
            ...rec,
            layers: JSON.stringify(rec.layers),
            command: JSON.stringify(rec.command),
            labels: JSON.stringify(rec.labels),
            spec: JSON.stringify(rec.spec),
            autoRemove: rec.autoRemove ? 1 : 0,
          });
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /containers\.name/.test((err as Error).message)) {
        throw new SkiffError('conflict', `the container name "${rec.name}" is already in use; remove that container or choose another name`);
      }
      throw err;
    }
  }

  get<S>(id: string): ContainerRecord<S> | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow<S>(r) : undefined;
  }

  list<S>(): ContainerRecord<S>[] {
    return (this.db.prepare('SELECT * FROM containers ORDER BY created_at DESC, id').all() as Row[]).map((r) => fromRow<S>(r));
  }

  /** By exact name, full ID, or unambiguous ID prefix, as docker resolves them. */
  find<S>(ref: string): ContainerRecord<S>[] {
    const byName = this.db.prepare('SELECT * FROM containers WHERE name = ? OR id = ?').all(ref, ref) as Row[];
    if (byName.length > 0) return byName.map((r) => fromRow<S>(r));
    if (!/^[a-f0-9]+$/.test(ref)) return [];
    return (this.db.prepare("SELECT * FROM containers WHERE id LIKE ? || '%'").all(ref) as Row[]).map((r) => fromRow<S>(r));
  }

  /** Records what create resolved the options to, once the bundle is written. */
  setSpec(id: string, spec: unknown, command: string[]): void {
    immediate(this.db, () => {
      this.db.prepare('UPDATE containers SET spec = ?, command = ? WHERE id = ?').run(JSON.stringify(spec), JSON.stringify(command), id);
    });
  }

  /** Updates state fields; `when` guards against a racing writer (compare-and-set on state). */
  update(id: string, fields: StateUpdate, when?: { state: ContainerState[] }): boolean {
    const keys = Object.keys(fields) as (keyof StateUpdate)[];
    if (keys.length === 0) return true;
    const sets = keys.map((k) => `${COLUMNS[k]} = @${k}`).join(', ');
    const guard = when ? ` AND state IN (${when.state.map((s) => `'${s}'`).join(', ')})` : '';
    return immediate(this.db, () => this.db.prepare(`UPDATE containers SET ${sets} WHERE id = @id${guard}`).run({ ...fields, id }).changes > 0);
  }

  delete(id: string): void {
    immediate(this.db, () => {
      this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    });
  }

  /** A container created from the image (config digest), if any. */
  firstUsing(imageId: Digest): { id: string; name: string } | undefined {
    return this.db.prepare('SELECT id, name FROM containers WHERE image_id = ? LIMIT 1').get(imageId) as { id: string; name: string } | undefined;
  }

  /** Images (config digests) and snapshots that containers hold, for GC and rmi. */
  usedInTx(): { imageIds: Set<Digest>; snapshots: Set<Digest> } {
    const imageIds = new Set<Digest>();
    const snapshots = new Set<Digest>();
    for (const r of this.db.prepare('SELECT image_id, layers FROM containers').all() as { image_id: string; layers: string }[]) {
      imageIds.add(r.image_id as Digest);
      for (const c of JSON.parse(r.layers) as Digest[]) snapshots.add(c);
    }
    return { imageIds, snapshots };
  }
}
