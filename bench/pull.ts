// bench/pull: cold pull of a realistic multi-layer image from a local registry, measured in one
// run against the limit (curl | gzip -d | tar -x of the same layers, in parallel) and against
// podman pull. Prints times and ratios; exits 0 whatever the ratios (it measures, not judges).
//
// The image: a debootstrap'd Debian minbase (bookworm) split in two layers (usr/share apart),
// plus a third layer with large files, a modified /etc and whiteouts. Built once into a cache
// (SKIFF_BENCH_CACHE, default /var/tmp/skiff-bench).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry } from '../test/helpers/registry.js';
import { pushBlob, putManifest } from '../test/helpers/push.js';
import { SKIFF, ensureTools as ensure, interleave, median, podmanConf, sh, timeIt } from './lib.js';

const CACHE = process.env.SKIFF_BENCH_CACHE ?? '/var/tmp/skiff-bench';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

function ensureTools(): void {
  ensure(['debootstrap', 'podman', 'curl']);
}

interface Layer { file: string; digest: string; diffId: string; size: number }

function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

function buildLayers(): Layer[] {
  const rootfs = join(CACHE, 'rootfs');
  if (!existsSync(join(rootfs, 'etc', 'debian_version'))) {
    console.error('bench: debootstrap --variant=minbase bookworm (once; cached)');
    rmSync(rootfs, { recursive: true, force: true });
    mkdirSync(CACHE, { recursive: true });
    sh(`debootstrap --variant=minbase bookworm ${rootfs} ${MIRROR} >/dev/null`);
  }
  const layers: Layer[] = [];
  const specs: [string, string][] = [
    ['l1', `tar --numeric-owner --xattrs -C ${rootfs} --exclude=./usr/share --exclude=./proc/* --exclude=./sys/* -cf - .`],
    ['l2', `tar --numeric-owner --xattrs -C ${rootfs} -cf - ./usr/share`],
    ['l3', `bash -c 'set -e; d=$(mktemp -d); mkdir -p $d/opt/big $d/etc $d/usr/lib; head -c 40000000 /dev/urandom | base64 > $d/opt/big/blob1; cp -a ${rootfs}/usr/bin/perl $d/opt/big/perl-copy; for i in $(seq 1 400); do echo "small $i" > $d/opt/big/s$i; done; echo bench > $d/etc/hostname; touch $d/etc/.wh.motd $d/usr/lib/.wh.os-release; tar --numeric-owner -C $d -cf - .; rm -rf $d'`],
  ];
  for (const [name, cmd] of specs) {
    const tarPath = join(CACHE, `${name}.tar`);
    const gzPath = `${tarPath}.gz`;
    if (!existsSync(gzPath)) {
      sh(`${cmd} > ${tarPath}`);
      sh(`gzip -6 -c ${tarPath} > ${gzPath}.tmp && mv ${gzPath}.tmp ${gzPath}`);
    }
    const metaPath = `${gzPath}.json`;
    if (!existsSync(metaPath)) {
      writeFileSync(metaPath, JSON.stringify({ digest: sha256File(gzPath), diffId: sha256File(tarPath), size: statSync(gzPath).size }));
    }
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Omit<Layer, 'file'>;
    layers.push({ file: gzPath, ...meta });
  }
  return layers;
}

async function push(url: string, layers: Layer[]): Promise<void> {
  for (const l of layers) await pushBlob(url, 'bench/debian', readFileSync(l.file));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: new Date().toISOString(), config: { Cmd: ['bash'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const configDigest = await pushBlob(url, 'bench/debian', config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  }));
  await putManifest(url, 'bench/debian', 'latest', manifest, 'application/vnd.oci.image.manifest.v1+json');
}

async function limitRun(url: string, layers: Layer[]): Promise<number> {
  const base = mkdtempSync(join(CACHE, 'limit-'));
  const t = process.hrtime.bigint();
  await Promise.all(
    layers.map((l, i) => {
      const dir = join(base, String(i));
      mkdirSync(dir);
      return new Promise<void>((resolve, reject) => {
        const p = spawn('bash', ['-c', `set -o pipefail; curl -sf ${url}/v2/bench/debian/blobs/${l.digest} | gzip -d | tar -x -C ${dir}`], { stdio: 'inherit' });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`limit pipeline exited ${code}`))));
      });
    }),
  );
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  rmSync(base, { recursive: true, force: true });
  return s;
}

function skiffRun(ref: string): number {
  const root = mkdtempSync(join(CACHE, 'skiff-'));
  const s = timeIt(() => execFileSync(process.execPath, [SKIFF, '--root', root, 'pull', '-q', ref], { stdio: ['ignore', 'ignore', 'inherit'] }));
  rmSync(root, { recursive: true, force: true });
  return s;
}

function podmanRun(ref: string, conf: string): number {
  const root = mkdtempSync(join(CACHE, 'podman-'));
  const s = timeIt(() =>
    execFileSync('podman', ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--storage-driver', 'overlay', 'pull', '-q', '--tls-verify=false', ref], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CONTAINERS_CONF: conf },
    }),
  );
  spawnSync('podman', ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--storage-driver', 'overlay', 'system', 'reset', '-f'], { stdio: 'ignore', env: { ...process.env, CONTAINERS_CONF: conf } });
  spawnSync('umount', ['-R', join(root, 'root', 'overlay')], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
  return s;
}

async function main(): Promise<void> {
  ensureTools();
  mkdirSync(CACHE, { recursive: true });
  const layers = buildLayers();
  const uncompressed = layers.reduce((n, l) => n + statSync(l.file.replace(/\.gz$/, '')).size, 0);
  const files = Number(sh(`for l in ${layers.map((l) => l.file.replace(/\.gz$/, '')).join(' ')}; do tar -tf $l; done | wc -l`).trim());
  const reg = await startRegistry();
  const conf = podmanConf();
  try {
    await push(reg.url, layers);
    const ref = `${reg.host}/bench/debian:latest`;
    console.log(`image: ${layers.length} layers, ${(uncompressed / 1e6).toFixed(0)} MB uncompressed, ${files} entries, ${(layers.reduce((n, l) => n + l.size, 0) / 1e6).toFixed(0)} MB compressed`);
    const limit: number[] = [];
    const skiff: number[] = [];
    const podman: number[] = [];
    // Interleaved, so drift in the machine's load affects all three alike; each starts after
    // the previous one's writes reached the disk (sync), so none pays for another's writeback.
    const settle = (): void => void spawnSync('sync');
    const contestants: (() => Promise<void>)[] = [
      async () => void limit.push(await limitRun(reg.url, layers)),
      async () => void skiff.push(skiffRun(ref)),
      async () => {
        try {
          podman.push(podmanRun(ref, conf));
        } catch (err) {
          console.error(`bench: podman pull failed: ${(err as Error).message.split('\n')[0]}`);
        }
      },
    ];
    await interleave(RUNS, contestants, settle);
    const l = median(limit);
    const s = median(skiff);
    console.log(`limit  (curl | gzip -d | tar -x, layers in parallel): ${l.toFixed(2)} s   runs: ${limit.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`skiff pull (cold):                                  ${s.toFixed(2)} s   runs: ${skiff.map((x) => x.toFixed(2)).join(' ')}`);
    if (podman.length > 0) console.log(`podman pull (cold):                                 ${median(podman).toFixed(2)} s   runs: ${podman.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`ratio skiff/limit:  ${(s / l).toFixed(2)}x  (target <= 1.3x)`);
    if (podman.length > 0) console.log(`ratio skiff/podman: ${(s / median(podman)).toFixed(2)}x  (target < 1.0x)`);
  } finally {
    await reg.stop();
  }
}

await main();
