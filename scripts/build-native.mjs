// Builds native/skiff-sys.c, the Linux calls Node lacks, into dist/native/skiff-sys.node: the
// system's C compiler ($CC, else cc) against node-api-headers. A Node-API addon is independent
// of Node's version; it is built here rather than shipped, as better-sqlite3's is.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const headers = createRequire(import.meta.url)('node-api-headers').include_dir;
mkdirSync('dist/native', { recursive: true });
const out = 'dist/native/skiff-sys.node';
try {
  execFileSync(process.env.CC || 'cc', ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Wno-unused-parameter', '-I', headers, 'native/skiff-sys.c', '-o', out], { stdio: 'inherit' });
} catch (err) {
  console.error(`build-native: cannot build ${out} (${err.message}); a C compiler is needed (apt-get install gcc libc6-dev)`);
  process.exit(1);
}
