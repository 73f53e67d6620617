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
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

# Build from a staged copy of the sources: setuptools writes build/ and *.egg-info into the
# tree it builds, which would race with an editable install (or another build) in this one.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R pyproject.toml README.md agentops "$stage"/
find "$stage" -name __pycache__ -prune -exec rm -rf {} +

# --reproducible: fixed timestamps, so the same inputs give the same bytes.
# -c agentops: the console script entry point; the shebang finds python3 on PATH.
# --compile-pyc: the first run extracts the file (~/.shiv) and compiles everything it extracted, so
# later runs load bytecode even where Python writes none (PYTHONDONTWRITEBYTECODE=1, common in
# containers); without it each such run recompiles every module it imports (about 3x slower).
"$python" -m shiv --reproducible --compressed --compile-pyc \
  -p '/usr/bin/env python3' \
  -c agentops \
  -o "$out" \
  --disable-pip-version-check --quiet \
  "$stage"
echo "built $out ($(wc -c < "$out") bytes)" >&2
