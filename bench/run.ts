// bench/run: `skiff run --rm IMAGE true`, measured in one run against its floor — `node -e 0`
// followed by a bare `runc run` of a prepared bundle (what any Node CLI over runc must pay) —
// and against `podman run --rm`, each as users run it (the default network: a bridge, through
// CNI for skiff and netavark for podman) and with `--network none` (a fresh empty network
// namespace, which is also what the floor's bundle asks for); and as an ordinary user, rootless,
// against the root figure. Prints times and ratios; exits 0 whatever they are.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSpec } from '../src/oci/runtime-spec.js';
import { busyboxLayer } from '../test/helpers/busybox.js';
import { pushImage } from '../test/helpers/push.js';
import { startRegistry } from '../test/helpers/registry.js';
import { rootlessUser, type RootlessUser } from '../test/helpers/rootless-user.js';
import { SKIFF, ensureTools, interleave, interval, median, ms, podmanConf, ratioInterval, timeIt } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const quiet = { stdio: ['ignore', 'ignore', 'inherit'] as ('ignore' | 'inherit')[] };

/** A bundle runc can run directly: skiff's own rootfs of the image and a spec with skiff's defaults. */
function prepareBundle(dir: string, skiffRoot: string, image: string): void {
  // The rootfs is a plain copy of what skiff would mount, so runc does the same work on the same files.
  const created = execFileSync(process.execPath, [SKIFF, '--root', skiffRoot, 'create', image, 'true'], { encoding: 'utf8' }).trim();
  cpSync(join(skiffRoot, 'containers', created, 'rootfs'), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  execFileSync(process.execPath, [SKIFF, '--root', skiffRoot, 'rm', created], quiet);
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  for (const f of ['hosts', 'hostname', 'resolv.conf']) writeFileSync(join(etc, f), '');
  const spec = buildSpec({
    image: undefined,
    args: ['true'],
    env: [],
    hostEnv: {},
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'bench',
    terminal: false,
    readOnly: false,
    privileged: false,
    capAdd: [],
    capDrop: [],
    network: 'none',
    mounts: [],
    rootfsPath: 'rootfs',
    etcFiles: { hosts: join(etc, 'hosts'), hostname: join(etc, 'hostname'), resolvConf: join(etc, 'resolv.conf') },
    hardLimits: { nofile: 1024 },
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
}

async function main(): Promise<void> {
  ensureTools(['podman']);
  const work = mkdtempSync('/var/tmp/skiff-bench-run-');
  const reg = await startRegistry();
  const conf = podmanConf();
  const podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
  const podmanArgs = ['--root', join(work, 'podman', 'root'), '--runroot', join(work, 'podman', 'run'), '--storage-driver', 'overlay'];
  let user: RootlessUser | undefined;
  try {
    await pushImage(reg.url, 'bench/busybox', 'latest', { layers: [{ tar: busyboxLayer() }] });
    const image = `${reg.host}/bench/busybox:latest`;
    const skiffRoot = join(work, 'skiff');
    execFileSync(process.execPath, [SKIFF, '--root', skiffRoot, 'pull', '-q', image], quiet);
    const bundle = join(work, 'bundle');
    mkdirSync(bundle);
    prepareBundle(bundle, skiffRoot, image);
    execFileSync('podman', [...podmanArgs, 'pull', '-q', '--tls-verify=false', image], { ...quiet, env: podmanEnv });
    // The same run as an ordinary user (its own store, user namespace and slirp4netns).
    user = rootlessUser();
    const asUser = (...args: string[]) => {
      const c = user!.command(...args);
      execFileSync(c.file, c.args, { ...quiet, env: c.env, cwd: c.cwd });
    };
    asUser('pull', '-q', image);
    asUser('run', '--rm', image, 'true');
    // Warm-up: the first start of each pays for cold caches (and skiff writes its code cache).
    execFileSync(process.execPath, [SKIFF, '--root', skiffRoot, 'run', '--rm', image, 'true'], quiet);
    execFileSync('podman', [...podmanArgs, 'run', '--rm', image, 'true'], { ...quiet, env: podmanEnv });

    const floor: number[] = [];
    const skiff: number[] = [];
    const skiffNone: number[] = [];
    const rootless: number[] = [];
    const podman: number[] = [];
    const podmanNone: number[] = [];
    let n = 0;
    await interleave(RUNS, [
      () => {
        floor.push(timeIt(() => {
          execFileSync(process.execPath, ['-e', '0'], quiet);
          execFileSync('runc', ['--root', join(work, 'runc'), 'run', '--bundle', bundle, `bench-${n++}`], quiet);
        }));
      },
      () => void skiff.push(timeIt(() => execFileSync(process.execPath, [SKIFF, '--root', skiffRoot, 'run', '--rm', image, 'true'], quiet))),
      () => void rootless.push(timeIt(() => asUser('run', '--rm', image, 'true'))),
      () => void skiffNone.push(timeIt(() => execFileSync(process.execPath, [SKIFF, '--root', skiffRoot, 'run', '--rm', '--network', 'none', image, 'true'], quiet))),
      () => void podman.push(timeIt(() => execFileSync('podman', [...podmanArgs, 'run', '--rm', image, 'true'], { ...quiet, env: podmanEnv }))),
      () => void podmanNone.push(timeIt(() => execFileSync('podman', [...podmanArgs, 'run', '--rm', '--network', 'none', image, 'true'], { ...quiet, env: podmanEnv }))),
    ]);
    const f = median(floor);
    const s = median(skiff);
    const sn = median(skiffNone);
    const r = median(rootless);
    const p = median(podman);
    const pn = median(podmanNone);
    const runs = (xs: number[]) => xs.map((x) => (x * 1000).toFixed(0)).join(' ');
    console.log(`${RUNS} rounds, interleaved; medians:`);
    console.log(`floor  (node -e 0 + runc run, prepared bundle): ${ms(f)}   runs: ${runs(floor)}`);
    console.log(`skiff run --rm IMAGE true (default network):    ${ms(s)}   runs: ${runs(skiff)}`);
    console.log(`skiff run --rm --network none IMAGE true:       ${ms(sn)}   runs: ${runs(skiffNone)}`);
    console.log(`skiff run --rm IMAGE true, rootless (slirp4netns): ${ms(r)}   runs: ${runs(rootless)}`);
    console.log(`podman run --rm IMAGE true (default network):   ${ms(p)}   runs: ${runs(podman)}`);
    console.log(`podman run --rm --network none IMAGE true:      ${ms(pn)}   runs: ${runs(podmanNone)}`);
    console.log(`ratio skiff --network none/floor: ${(sn / f).toFixed(2)}x  (90% interval ${interval(ratioInterval(skiffNone, floor))}; target <= 1.3x; the floor has no network either)`);
    console.log(`ratio skiff/floor:                ${(s / f).toFixed(2)}x  (with the bridge, which the floor does not set up)`);
    console.log(`ratio skiff/podman:               ${(s / p).toFixed(2)}x  (90% interval ${interval(ratioInterval(skiff, podman))}; target <= 0.5x; both with their default network)`);
    console.log(`ratio skiff/podman --network none: ${(sn / pn).toFixed(2)}x`);
    console.log(`ratio rootless/root:              ${(r / s).toFixed(2)}x  (90% interval ${interval(ratioInterval(rootless, skiff))}; target <= 1.5x; both with their default network)`);
  } finally {
    user?.cleanup();
    await reg.stop();
    spawnSync('podman', [...podmanArgs, 'system', 'reset', '-f'], { stdio: 'ignore', env: podmanEnv });
    spawnSync('umount', ['-R', join(work, 'podman', 'root', 'overlay')], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
