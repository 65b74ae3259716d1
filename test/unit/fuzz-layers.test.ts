// Fuzzing the tar parser and the layer applier with generated layers (fast-check, a fixed seed
// and a bounded number of runs, so CI time is fixed and a failure replays): paths made of
// '..', '.', absolute prefixes, whiteouts and opaque markers; symlinks and hardlinks aimed at a
// directory outside the image, by absolute path and through '..'. Whatever the layers, the
// applier either applies them or refuses with skiff's own error — it never crashes, never
// writes, links or deletes outside the image, and sees exactly the entries the parser reads.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { SkiffError } from '../../src/errors.js';
import { LayerApplier } from '../../src/oci/layer/applier.js';
import { OVERLAY_TRUSTED } from '../../src/oci/layer/merged-view.js';
import { TarFormatError, TarParser, type TarHeader, type TarSink } from '../../src/oci/tar/reader.js';
import { makeTar, type TarSpec } from '../helpers/tar-writer.js';

const base = mkdtempSync(join(tmpdir(), 'skiff-fuzz-'));
after(() => rmSync(base, { recursive: true, force: true }));

const RUNS = Number(process.env.SKIFF_FUZZ_RUNS ?? 400);
const SEED = Number(process.env.SKIFF_FUZZ_SEED ?? 424242);

function layerArb(outside: string): fc.Arbitrary<TarSpec[]> {
  const segment = fc.constantFrom('a', 'b', 'c', '..', '.', 'etc', 'passwd', '.wh.a', '.wh.b', '.wh..wh..opq', '.wh..', 'canary');
  const path = fc
    .tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 4 }))
    .map(([abs, segs]) => `${abs ? '/' : ''}${segs.join('/')}`);
  const target = fc.oneof(path, fc.constantFrom(outside, `${outside}/canary`, '/', '../../..', `../../../..${outside}`, '/etc/passwd'));
  const entry: fc.Arbitrary<TarSpec> = fc.oneof(
    fc.record({ path, content: fc.string({ maxLength: 8 }) }),
    path.map((p) => ({ path: p, type: 'dir' as const })),
    fc.record({ path, linkpath: target }).map((e) => ({ ...e, type: 'symlink' as const })),
    fc.record({ path, linkpath: target }).map((e) => ({ ...e, type: 'hardlink' as const })),
    path.map((p) => ({ path: p, type: 'fifo' as const })),
  );
  return fc.array(entry, { minLength: 1, maxLength: 8 });
}

/** What the parser reads, as (type, path) pairs. */
function parsed(tar: Buffer): string[] {
  const seen: string[] = [];
  const sink: TarSink = { entry: (h: TarHeader) => void seen.push(`${h.type} ${h.path}`), data: () => {}, endEntry: () => {} };
  const p = new TarParser(sink);
  p.write(tar);
  p.end();
  return seen;
}

function snapshotOf(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((n) => {
      const st = lstatSync(join(dir, n));
      return `${n} ${st.mode} ${st.nlink} ${st.isFile() ? readFileSync(join(dir, n), 'utf8') : ''}`;
    })
    .join('\n');
}

describe('fuzzing the parser and the applier', () => {
  test(`${RUNS} generated multi-layer images: no crash, no escape, parser and applier agree`, (t) => {
    let n = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.constant(null).chain(() => {
          const sandbox = join(base, String(n++));
          return fc.tuple(fc.constant(sandbox), fc.array(layerArb(join(sandbox, 'outside')), { minLength: 1, maxLength: 3 }));
        }),
        ([sandbox, layers]) => {
          const outside = join(sandbox, 'outside');
          const image = join(sandbox, 'image');
          mkdirSync(outside, { recursive: true });
          mkdirSync(image);
          writeFileSync(join(outside, 'canary'), 'untouched');
          const before = snapshotOf(outside);
          const lowers: string[] = [];
          try {
            for (const [i, entries] of layers.entries()) {
              const upper = join(image, String(i));
              mkdirSync(upper);
              const tar = makeTar(entries);
              const applier = new LayerApplier(upper, [...lowers], { format: OVERLAY_TRUSTED, privileged: true });
              const p = new TarParser(applier);
              try {
                p.write(tar);
                p.end();
                const stats = applier.finish();
                assert.equal(stats.entries, parsed(tar).length, 'the applier saw every entry the parser read');
              } catch (err) {
                // Hostile or impossible layers are refused with skiff's own errors; anything else is a crash.
                if (!(err instanceof SkiffError) && !(err instanceof TarFormatError)) throw err;
                refused++;
                break;
              }
              lowers.unshift(upper);
            }
            assert.deepEqual(readdirSync(sandbox).sort(), ['image', 'outside'], 'nothing appears beside the image');
            assert.equal(snapshotOf(outside), before, 'the outside directory is untouched (no write, link or removal)');
          } finally {
            rmSync(sandbox, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    t.diagnostic(`${refused} of ${RUNS} images had a layer refused (seed ${SEED})`);
    // Both outcomes must be exercised, or the generator has gone blind.
    assert.ok(refused > 0 && refused < RUNS, `${refused} of ${RUNS} refused`);
  });
});
