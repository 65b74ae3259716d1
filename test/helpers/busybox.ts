// Test-only: a minimal root filesystem layer built from Debian's busybox-static.
import { readFileSync } from 'node:fs';
import { makeTar, type TarSpec } from './tar-writer.js';

export const BUSYBOX_BIN = '/bin/busybox';
export const BUSYBOX_APPLETS = ['sh', 'ls', 'cat', 'echo', 'true', 'id', 'httpd', 'sleep', 'wget'] as const;

let cached: Buffer | undefined;

/** An uncompressed tar of a minimal busybox root. Built once per process. */
export function busyboxLayer(): Buffer {
  if (cached) return cached;
  const dirs: TarSpec[] = [
    { path: 'bin/', type: 'dir' },
    { path: 'dev/', type: 'dir' },
    { path: 'etc/', type: 'dir' },
    { path: 'proc/', type: 'dir', mode: 0o555 },
    { path: 'root/', type: 'dir', mode: 0o700 },
    { path: 'sys/', type: 'dir', mode: 0o555 },
    { path: 'tmp/', type: 'dir', mode: 0o1777 },
    { path: 'var/', type: 'dir' },
  ];
  const entries: TarSpec[] = [
    ...dirs,
    { path: 'bin/busybox', content: readFileSync(BUSYBOX_BIN), mode: 0o755 },
    ...BUSYBOX_APPLETS.map((a): TarSpec => ({ path: `bin/${a}`, type: 'symlink', linkpath: 'busybox' })),
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
  ];
  cached = makeTar(entries);
  return cached;
}
