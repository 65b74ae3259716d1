// Worker thread that unpacks one layer at a time, so layers unpack in parallel with each other
// and with the download. Bytes come as messages (streamed from the network) or from a blob file.
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { SkiffError, messageOf } from '../errors.js';
import { LayerApplier } from '../oci/layer/applier.js';
import { NeedLowersError } from '../oci/layer/merged-view.js';
import { LayerUnpacker } from '../oci/layer/unpack.js';
import { SpaceGuard } from '../store/space-guard.js';
import type { ToWorker, FromWorker } from './unpack-protocol.js';

const port = parentPort!;
let applier: LayerApplier | undefined;
let unpacker: LayerUnpacker | undefined;
let failed = false;
/** Messages are handled strictly in order: each waits for the one before. */
let queue: Promise<void> = Promise.resolve();

function send(m: FromWorker): void {
  port.postMessage(m);
}

function fail(err: unknown): void {
  failed = true;
  unpacker?.destroy();
  if (err instanceof NeedLowersError) send({ type: 'need-lowers' });
  else if (err instanceof SkiffError) send({ type: 'error', kind: err.kind, message: err.message });
  else send({ type: 'error', kind: 'store', message: messageOf(err) });
}

async function finishApply(): Promise<void> {
  const { diffId, stats } = await unpacker!.end();
  send({ type: 'applied', diffId, bytes: stats.bytes, entries: stats.entries });
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'start') {
    failed = false;
    const space = new SpaceGuard(m.spaceDir, m.reserve, `layer ${m.label}`);
    applier = new LayerApplier(m.tmp, m.lowers, { format: { opaqueXattr: m.opaqueXattr }, privileged: m.privileged, userNamespace: m.userNamespace, space });
    unpacker = new LayerUnpacker(m.compression, applier, m.label);
    if (m.file === undefined) return;
    for await (const chunk of createReadStream(m.file, { highWaterMark: 1024 * 1024 })) {
      const p = unpacker.write(chunk as Buffer);
      if (p) await p;
    }
    await finishApply();
    return;
  }
  if (m.type === 'data') {
    if (failed) return;
    const p = unpacker!.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
    if (p) await p;
    send({ type: 'ack', bytes: m.chunk.byteLength });
    return;
  }
  if (m.type === 'end') {
    if (!failed) await finishApply();
    return;
  }
  if (m.type === 'complete') {
    send({ type: 'completed', valid: applier!.completeSpeculation(m.lowers) });
  }
}

port.on('message', (m: ToWorker) => {
  queue = queue.then(() => (failed && m.type !== 'start' ? undefined : handle(m))).catch(fail);
});
