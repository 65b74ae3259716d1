// The files of one container, all inside its own directory so that removing it is one rm -r.
import { join } from 'node:path';

export interface ContainerLayout {
  dir: string;
  /** The bundle runc is given: config.json and the rootfs mount point live here. */
  bundle: string;
  config: string;
  rootfs: string;
  upper: string;
  work: string;
  hosts: string;
  hostname: string;
  resolvConf: string;
  runcLog: string;
  /** The container's output, k8s-file format, written by conmon. */
  log: string;
  exitDir: string;
  /** conmon's own files, in a short path: its attach socket must fit in a unix socket's 108 bytes. */
  conmonDir: string;
  /** The network namespace file of a bridged container, and what CNI's ADD returned for it. */
  netns: string;
  network: string;
}

export function containerLayout(paths: { containers: string; root: string }, id: string): ContainerLayout {
  const dir = join(paths.containers, id);
  return {
    dir,
    bundle: dir,
    config: join(dir, 'config.json'),
    rootfs: join(dir, 'rootfs'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf'),
    runcLog: join(dir, 'runc.log'),
    log: join(dir, 'ctr.log'),
    exitDir: join(dir, 'exit'),
    conmonDir: join(paths.root, 'run', 'c', id.slice(0, 16)),
    netns: join(paths.root, 'run', 'netns', id.slice(0, 16)),
    network: join(dir, 'network.json'),
  };
}

/** Just the network file's path: ps asks it of every container, and the whole layout is 15 joins. */
export function networkFile(paths: { containers: string }, id: string): string {
  return `${paths.containers}/${id}/network.json`;
}
