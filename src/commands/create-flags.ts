// The flags `run` and `create` share, and their translation into CreateOptions.
import { isIP } from '../sys/ip.js';
import { type Command, Option } from 'commander';
import { SkiffError } from '../errors.js';
import type { MountSpec } from '../oci/runtime-spec.js';
import type { CreateOptions, NetworkMode, PullPolicy } from '../ops/container-options.js';
import { parsePublish } from '../network/ports.js';
import { isNetworkNameShape } from '../network/network-config.js';
import { cniNetworkOf } from '../ops/attached-network.js';
import { parseLabels, parseMount, parseTmpfs, parseVolume } from '../runtime/mount-flags.js';

export interface CreateFlags {
  name?: string;
  env: string[];
  envFile: string[];
  volume: string[];
  mount: string[];
  tmpfs: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  network?: string;
  networkAlias: string[];
  publish: string[];
  publishAll?: boolean;
  ip?: string;
  dns: string[];
  dnsSearch: string[];
  addHost: string[];
  readOnly?: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  pull: string;
  platform?: string;
  label: string[];
  cidfile?: string;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addCreateFlags(cmd: Command): Command {
  return cmd
    .passThroughOptions()
    .argument('<image>', 'image to run (pulled if missing, see --pull)')
    .argument('[command...]', 'command and arguments (replace the image\'s Cmd)')
    .option('--name <name>', 'assign a name (default: a generated one)')
    .option('-e, --env <K=V>', 'set an environment variable; a bare K takes the value from this shell (repeatable)', collect, [])
    .option('--env-file <file>', 'read K=V lines from a file (repeatable)', collect, [])
    .option('-v, --volume <src:dst[:ro]>', 'bind-mount a host path (repeatable)', collect, [])
    .option('--mount <type=bind|tmpfs,...>', 'mount: type=bind,source=…,target=…[,readonly] or type=tmpfs,target=…[,tmpfs-size=…] (repeatable)', collect, [])
    .option('--tmpfs <dst[:options]>', 'mount a tmpfs, e.g. /run:size=64m (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container (absolute)')
    .option('-u, --user <user[:group]>', 'user, as a name or uid, with an optional group (looked up in the image\'s /etc/passwd and /etc/group)')
    .option('--entrypoint <command>', "override the image's Entrypoint ('' clears it)")
    .option('--hostname <name>', 'container host name (default: the short container ID)')
    .option('--network <mode>', 'network: bridge (the default network, skiff), a user network\'s name, none (loopback only), host, or container:NAME (share that container\'s)')
    .option('--network-alias <alias>', 'another name the container answers to on its user network (repeatable)', collect, [])
    .option('-p, --publish <[ip:]hostPort:containerPort[/proto]>', 'publish a container port on the host (a bare containerPort gets a free host port; repeatable)', collect, [])
    .option('-P, --publish-all', "publish every port the image exposes, each on a free host port")
    .option('--ip <address>', 'the container\'s IPv4 address on its network, instead of the next free one')
    .option('--dns <ip>', "a nameserver for the container's resolv.conf, instead of the host's (repeatable)", collect, [])
    .option('--dns-search <domain>', "a search domain for the container's resolv.conf (repeatable)", collect, [])
    .option('--add-host <host:ip>', "add a line to the container's /etc/hosts (repeatable)", collect, [])
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--cap-add <cap>', 'add a capability, e.g. NET_ADMIN, or ALL (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability, or ALL (repeatable)', collect, [])
    .option('--privileged', 'all capabilities, all devices, no masked paths')
    .addOption(new Option('--pull <policy>', 'pull the image: missing, always or never').choices(['missing', 'always', 'never']).default('missing'))
    .option('--platform <os/arch[/variant]>', 'platform to pull (default: the host\'s)')
    .option('-l, --label <k=v>', 'set a label (repeatable)', collect, [])
    .option('--cidfile <file>', 'write the container ID to this file (which must not exist)')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('--rm', 'remove the container when it exits');
}

export function toCreateOptions(image: string, args: string[], f: CreateFlags): CreateOptions {
  const mounts: MountSpec[] = [...f.volume.map(parseVolume), ...f.mount.map(parseMount), ...f.tmpfs.map(parseTmpfs)];
  const dup = mounts.map((m) => m.destination).find((d, i, all) => all.indexOf(d) !== i);
  if (dup) throw new SkiffError('usage', `duplicate mount point: ${dup}`);
  const publish = f.publish.map(parsePublish);
  const publishing = publish.length > 0 || Boolean(f.publishAll);
  const network = (f.network ?? 'bridge') as NetworkMode;
  const cni = cniNetworkOf(network) !== undefined;
  if (network.startsWith('container:') ? network === 'container:' : cni && network !== 'bridge' && !isNetworkNameShape(network)) {
    throw new SkiffError('usage', `invalid --network ${JSON.stringify(network)}: bridge, none, host, container:NAME or a network's name`);
  }
  if (network.startsWith('container:') && f.hostname !== undefined) {
    throw new SkiffError('usage', '--hostname cannot be used with --network container:NAME: the container takes the other\'s name');
  }
  if (publishing && !cni) {
    throw new SkiffError('usage', `-p and -P need a bridge network: with --network ${network} there is no container address to forward to`);
  }
  if (f.ip !== undefined && (!cni || isIP(f.ip) !== 4)) {
    throw new SkiffError('usage', !cni ? `--ip needs a bridge network, not ${network}` : `invalid --ip ${JSON.stringify(f.ip)}: not an IPv4 address`);
  }
  if (f.networkAlias.length > 0 && !cni) throw new SkiffError('usage', `--network-alias needs a user network, not ${network}`);
  return {
    image,
    pull: f.pull as PullPolicy,
    ...(f.platform ? { platform: f.platform } : {}),
    ...(f.name !== undefined ? { name: f.name } : {}),
    args,
    ...(f.entrypoint !== undefined ? { entrypoint: f.entrypoint } : {}),
    env: f.env,
    envFiles: f.envFile,
    mounts,
    ...(f.workdir !== undefined ? { workdir: f.workdir } : {}),
    ...(f.user !== undefined ? { user: f.user } : {}),
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    network,
    ...(f.networkAlias.length > 0 ? { networkAliases: f.networkAlias.map(checkAlias) } : {}),
    publish,
    publishAll: Boolean(f.publishAll),
    ...(f.ip !== undefined ? { ip: f.ip } : {}),
    dns: f.dns.map(checkAddress),
    dnsSearch: f.dnsSearch,
    addHosts: f.addHost.map(checkHostEntry),
    readOnly: Boolean(f.readOnly),
    capAdd: f.capAdd,
    capDrop: f.capDrop,
    privileged: Boolean(f.privileged),
    labels: parseLabels(f.label),
    tty: Boolean(f.tty),
    interactive: Boolean(f.interactive),
    autoRemove: Boolean(f.rm),
  };
}

function checkAddress(ip: string): string {
  if (isIP(ip) === 0) throw new SkiffError('usage', `invalid --dns ${JSON.stringify(ip)}: not an IP address`);
  return ip;
}

function checkHostEntry(entry: string): string {
  const i = entry.indexOf(':');
  if (i <= 0 || isIP(entry.slice(i + 1)) === 0 || /\s/.test(entry)) {
    throw new SkiffError('usage', `invalid --add-host ${JSON.stringify(entry)}: expected host:ip`);
  }
  return entry;
}

function checkAlias(alias: string): string {
  // A hosts-file name: no whitespace, nothing a resolver would read as another field.
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/.test(alias)) throw new SkiffError('usage', `invalid --network-alias ${JSON.stringify(alias)}: not a host name`);
  return alias;
}
