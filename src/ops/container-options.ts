// What `create` and `run` take, as typed options (the commands turn flags into these), and
// what a container record keeps of them.
import type { Digest } from '../oci/digest.js';
import type { MountSpec } from '../oci/runtime-spec.js';
import type { PortSpec } from '../network/ports.js';
import type { ContainerRecord } from '../store/containers.js';

export type PullPolicy = 'missing' | 'always' | 'never';
/**
 * `bridge`: the default network; `container:NAME`: join that (running) container's network
 * namespace; any other word names a user network.
 */
export type NetworkMode = 'none' | 'host' | 'bridge' | `container:${string}` | (string & {});

export interface CreateOptions {
  image: string;
  pull: PullPolicy;
  platform?: string;
  name?: string;
  /** CMD... after the image; replaces the image's Cmd. */
  args: string[];
  /** --entrypoint; '' clears the image's Entrypoint. */
  entrypoint?: string;
  env: string[];
  envFiles: string[];
  mounts: MountSpec[];
  workdir?: string;
  user?: string;
  hostname?: string;
  network: NetworkMode;
  /** --network-alias: more names the container answers to on a user network (absent in older records). */
  networkAliases?: string[];
  /** -p; port 0 means any free host port, chosen at each start. */
  publish: PortSpec[];
  /** -P: the image's ExposedPorts, each to a free host port. */
  publishAll: boolean;
  /** --ip: the container's address on the bridge instead of the next free one. */
  ip?: string;
  dns: string[];
  dnsSearch: string[];
  /** --add-host host:ip */
  addHosts: string[];
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  labels: Record<string, string>;
  tty: boolean;
  interactive: boolean;
  autoRemove: boolean;
}

/** What the record keeps: the options plus what they resolved to, for inspect and restart. */
export interface ContainerSpec {
  options: CreateOptions;
  imageDigest: Digest;
  process: { args: string[]; env: string[]; cwd: string; uid: number; gid: number; terminal: boolean };
  hostname: string;
  stopSignal?: string;
  /** What to publish when it starts (-p, and the image's ExposedPorts with -P). */
  ports?: PortSpec[];
  /** --network container:NAME: the ID of the container whose network it joins. */
  networkOf?: string;
}

export type Container = ContainerRecord<ContainerSpec>;

/** A container as `ps` lists it: with the host ports it publishes while it runs. */
export type ListedContainer = Container & { published: PortSpec[] };
