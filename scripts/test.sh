#!/usr/bin/env bash
# npm test: set up whatever is missing, build, and run every test file (unit, then e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$(id -u)" != 0 ]; then
  echo "test: the suite mounts overlays and creates device nodes; run it as root" >&2
  exit 1
fi
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
exec node --test --test-reporter=spec "$@" "${files[@]}"
