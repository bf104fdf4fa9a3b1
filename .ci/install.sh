#!/usr/bin/env bash
# Installs factsandwich and everything it needs into ./.venv (idempotent).
# torch is pinned first, the CPU build (.ci/install-torch.sh): an unpinned torch would pull a multi-GB
# CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
bash .ci/install-torch.sh .venv/bin/python  # the CPU build, from PyTorch's CPU index when reachable
.venv/bin/python -m pip install --quiet -e ".[dev]"
