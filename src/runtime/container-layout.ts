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
  // The rest are fixed names under paths already normalised: a join normalises the whole path
  // again, and a run builds this layout five times.
  const run = join(paths.root, 'run');
  return {
    dir,
    bundle: dir,
    config: `${dir}/config.json`,
    rootfs: `${dir}/rootfs`,
    upper: `${dir}/upper`,
    work: `${dir}/work`,
    hosts: `${dir}/hosts`,
    hostname: `${dir}/hostname`,
    resolvConf: `${dir}/resolv.conf`,
    runcLog: `${dir}/runc.log`,
    log: `${dir}/ctr.log`,
    exitDir: `${dir}/exit`,
    conmonDir: `${run}/c/${id.slice(0, 16)}`,
    netns: `${run}/netns/${id.slice(0, 16)}`,
    network: `${dir}/network.json`,
  };
}

/** Just the network file's path: ps asks it of every container. */
export function networkFile(paths: { containers: string }, id: string): string {
  return `${paths.containers}/${id}/network.json`;
}
