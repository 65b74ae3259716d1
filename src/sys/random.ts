// Random ids and names without node:crypto: loading that module is ~2 ms of a command's start,
// and a container id needs only the kernel's random bytes.
import { closeSync, openSync, readSync } from 'node:fs';

function randomBuffer(n: number): Buffer {
  const buf = Buffer.alloc(n);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let got = 0;
    while (got < n) got += readSync(fd, buf, got, n - got, null);
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  return randomBuffer(bytes).toString('hex');
}

/** A random integer in [0, n), n at most 2^16, without modulo bias. */
export function randomBelow(n: number): number {
  const limit = 65536 - (65536 % n);
  for (;;) {
    const v = randomBuffer(2).readUInt16LE(0);
    if (v < limit) return v % n;
  }
}
