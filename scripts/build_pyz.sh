#!/usr/bin/env bash
# Build dist/agentops.pyz: one self-contained file (shiv zipapp) that runs with only a Python
# interpreter: `python3 agentops.pyz --help`. Dependencies come from PyPI (pip), so the build
# needs the network; the result needs none. Compiled dependencies (cryptography, PyNaCl) make
# the file specific to the platform and Python minor version it was built with.
#
# Usage: scripts/build_pyz.sh [OUTPUT]   (default dist/agentops.pyz)
# Env:   PYTHON  interpreter whose shiv and pip build it (default: python3 on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-dist/agentops.pyz}"
python="${PYTHON:-python3}"
mkdir -p "$(dirname "$out")"

# --reproducible: fixed timestamps, so the same inputs give the same bytes.
# -c agentops: the console script entry point; the shebang finds python3 on PATH.
"$python" -m shiv --reproducible --compressed \
  -p '/usr/bin/env python3' \
  -c agentops \
  -o "$out" \
  --disable-pip-version-check --quiet \
  .
echo "built $out ($(wc -c < "$out") bytes)" >&2
