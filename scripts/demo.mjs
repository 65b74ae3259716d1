// npm run demo: a local registry holding a demo image built from busybox-static, then skiff
// pulling it and running containers from it. Uses a throwaway store unless SKIFF_ROOT is set.
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxLayer } from '../dist/test/helpers/busybox.js';
import { pushImage } from '../dist/test/helpers/push.js';
import { startRegistry } from '../dist/test/helpers/registry.js';
import { makeTar } from '../dist/test/helpers/tar-writer.js';

const skiff = fileURLToPath(new URL('../bin/skiff', import.meta.url));
const ownRoot = !process.env.SKIFF_ROOT;
const root = process.env.SKIFF_ROOT || mkdtempSync(join(tmpdir(), 'skiff-demo-'));

/** The host fetching from the container (retried while httpd starts). */
async function fetchText(url) {
  for (let i = 0; ; i++) {
    try {
      return await new Promise((resolve, reject) => {
        get(url, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    } catch (err) {
      if (i > 40) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function step(title, args) {
  console.log(`\n\x1b[1m$ skiff ${args.join(' ')}\x1b[0m   # ${title}`);
  const r = spawnSync(process.execPath, [skiff, '--root', root, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`skiff ${args[0]} exited ${r.status}`);
}

const reg = await startRegistry();
try {
  console.log(`registry: docker-registry on ${reg.url} (data in ${reg.dataDir})`);
  const hello = makeTar([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/motd', content: 'Hello from a skiff demo image!\n' },
  ]);
  await pushImage(reg.url, 'demo/busybox', 'latest', {
    layers: [{ tar: busyboxLayer(), compression: 'gzip' }, { tar: hello, compression: 'gzip' }],
    config: { config: { Cmd: ['sh', '-c', 'cat /etc/motd'], Env: ['PATH=/bin'] } },
  });
  const ref = `${reg.host}/demo/busybox:latest`;
  console.log(`pushed ${ref} (busybox-static + a motd layer)`);
  step('fetch the image into the store', ['pull', ref]);
  step('list images', ['images']);
  step('show its config', ['image', 'inspect', '--format', '{{json .Config}}', ref]);
  step('pull again: every layer already exists', ['pull', ref]);
  step('run a container: the image\'s Cmd prints its motd', ['run', '--rm', ref]);
  step('run a command of your own, with an env var and a hostname', ['run', '--rm', '-e', 'WHO=skiff', '--hostname', 'demo', ref, 'sh', '-c', 'echo "hello from $WHO on $(cat /etc/hostname), as $(id -un)"']);
  step('create a network: its containers reach each other by name', ['network', 'create', 'demo-net']);
  step('start a web server in a detached container on it, held by conmon, its port 80 published on the host', [
    'run', '-d', '--name', 'demo-web', '--network', 'demo-net', '-p', '127.0.0.1::80', ref,
    'sh', '-c', 'mkdir -p /www && cat /etc/motd > /www/index.html && echo serving && httpd -f -p 80 -h /www',
  ]);
  step('list running containers', ['ps']);
  step('the host port it got', ['port', 'demo-web', '80']);
  const port = spawnSync(process.execPath, [skiff, '--root', root, 'port', 'demo-web', '80'], { encoding: 'utf8' }).stdout.trim().split(':').pop();
  console.log(`\n\x1b[1m$ (from the host) GET http://127.0.0.1:${port}/\x1b[0m`);
  process.stdout.write(await fetchText(`http://127.0.0.1:${port}/`));
  step('another container on the network fetches it by name', ['run', '--rm', '--network', 'demo-net', ref, 'wget', '-q', '-O', '-', 'http://demo-web/']);
  step('run a command inside it', ['exec', 'demo-web', 'sh', '-c', 'echo "inside $(cat /etc/hostname) as $(id -un); pid 1 is $(cat /proc/1/comm)"']);
  step('its output, as conmon logged it', ['logs', 'demo-web']);
  step('stop it (SIGTERM, then SIGKILL after 1 s)', ['stop', '-t', '1', 'demo-web']);
  step('all containers, stopped ones too', ['ps', '-a']);
  step('remove it: mount, files and record', ['rm', 'demo-web']);
  step('remove the network: its bridge and firewall rules', ['network', 'rm', 'demo-net']);
} finally {
  if (ownRoot) spawnSync(process.execPath, [skiff, '--root', root, 'network', 'rm', '-f', 'demo-net'], { stdio: 'ignore' });
  await reg.stop();
  if (ownRoot) rmSync(root, { recursive: true, force: true });
}
