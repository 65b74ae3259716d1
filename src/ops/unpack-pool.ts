// Worker threads for unpacking layers: each runs one layer at a time (see unpack-worker.ts).
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SkiffError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import type { FromWorker, ToWorker } from './unpack-protocol.js';

/** Bytes posted to a worker and not yet applied, beyond which the download waits. */
const MAX_IN_FLIGHT = 8 * 1024 * 1024;

export type Applied = { kind: 'applied'; diffId: Digest; bytes: number } | { kind: 'need-lowers' };

interface Deferred<T> { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void }

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class UnpackWorker {
  private readonly worker: Worker;
  private outcome: Deferred<Applied> = deferred();
  private completion: Deferred<boolean> | undefined;
  private inFlight = 0;
  private drained: Deferred<void> | undefined;
  private settled = false;
  private dead: Error | undefined;

  constructor() {
    // The worker sits next to this module: unpack-worker.js under dist/src, .cjs in the bundle.
    this.worker = new Worker(new URL(`./unpack-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url));
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => this.die(new Error(`unpack worker exited with code ${code}`)));
  }

  start(job: Omit<ToWorker & { type: 'start' }, 'type'>): void {
    if (this.dead) throw this.dead;
    this.outcome = deferred();
    this.settled = false;
    this.inFlight = 0;
    this.post({ type: 'start', ...job });
  }

  /** Streams compressed bytes to the worker; the promise (if any) is backpressure. */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.settled) return undefined;
    const copy = new Uint8Array(chunk.length);
    copy.set(chunk);
    this.inFlight += copy.length;
    this.worker.postMessage({ type: 'data', chunk: copy } satisfies ToWorker, [copy.buffer]);
    if (this.inFlight < MAX_IN_FLIGHT) return undefined;
    this.drained ??= deferred();
    return this.drained.promise;
  }

  end(): void {
    if (!this.settled) this.post({ type: 'end' });
  }

  /** The layer was applied (or needs its parents first); rejects with the layer's error. */
  applied(): Promise<Applied> {
    return this.outcome.promise;
  }

  /** Checks a speculative application against the now unpacked parents. */
  complete(lowers: string[]): Promise<boolean> {
    this.completion = deferred();
    this.post({ type: 'complete', lowers });
    return this.completion.promise;
  }

  /** Stops the worker; whoever still waits on it gets an error rather than waiting forever. */
  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.die(new Error('stopped'));
    await this.worker.terminate();
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ack':
        this.inFlight -= m.bytes;
        if (this.inFlight < MAX_IN_FLIGHT / 2) this.release();
        return;
      case 'applied':
        this.settle();
        this.outcome.resolve({ kind: 'applied', diffId: m.diffId, bytes: m.bytes });
        return;
      case 'need-lowers':
        this.settle();
        this.outcome.resolve({ kind: 'need-lowers' });
        return;
      case 'completed':
        this.completion?.resolve(m.valid);
        return;
      case 'error':
        this.settle();
        this.outcome.reject(new SkiffError(m.kind, m.message));
        this.completion?.reject(new SkiffError(m.kind, m.message));
    }
  }

  private settle(): void {
    this.settled = true;
    this.release();
  }

  private release(): void {
    const d = this.drained;
    this.drained = undefined;
    d?.resolve();
  }

  private die(err: Error): void {
    this.dead = err;
    const e = new SkiffError('internal', `layer unpacking failed: ${err.message}`, { cause: err });
    this.settle();
    this.outcome.reject(e);
    this.completion?.reject(e);
  }
}

/** A fixed number of workers handed out in request order. */
export class UnpackPool {
  private readonly idle: UnpackWorker[] = [];
  private readonly all: UnpackWorker[] = [];
  private readonly waiting: ((w: UnpackWorker) => void)[] = [];

  constructor(private readonly size: number) {}

  acquire(): Promise<UnpackWorker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.all.length < this.size) {
      const fresh = new UnpackWorker();
      this.all.push(fresh);
      return Promise.resolve(fresh);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(w: UnpackWorker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
