#!/usr/bin/env bash
# Installs torch==2.13.0, the CPU build, into a virtualenv before anything that depends on torch (an
# unpinned or plain `pip install torch` resolves to the CUDA build on Linux: several GB of CUDA).
#
#   bash .ci/install-torch.sh [PYTHON]          (default: .venv/bin/python)
#
# FACTSANDWICH_TORCH_INDEX   the wheel index to take torch from; default PyTorch's CPU index
#                            (https://download.pytorch.org/whl/cpu). Set it to your own mirror of that
#                            index, or to "" to use only what pip is configured with.
# When that index cannot be reached within a few seconds (a machine that reaches only its package
# registry), torch==2.13.0 is installed from what pip is configured with instead, and a note says so.
set -euo pipefail
PY=${1:-.venv/bin/python}
VERSION=2.13.0
INDEX=${FACTSANDWICH_TORCH_INDEX-https://download.pytorch.org/whl/cpu}
REACH_TIMEOUT_S=${FACTSANDWICH_TORCH_INDEX_TIMEOUT:-5}

if "$PY" - "$VERSION" <<'PYEOF' 2>/dev/null; then
import importlib.metadata as md, sys
try:
    installed = md.version("torch").split("+")[0]
except md.PackageNotFoundError:
    sys.exit(1)
cuda = [d.metadata["Name"] for d in md.distributions() if (d.metadata["Name"] or "").lower().startswith("nvidia-")]
sys.exit(0 if installed == sys.argv[1] and not cuda else 1)
PYEOF
    echo "torch $VERSION (CPU) is installed" >&2
    exit 0
fi

reachable() {  # one request with a short timeout, no retries: an unreachable index costs seconds
    timeout "$((REACH_TIMEOUT_S + 2))" "$PY" - "$1" "$REACH_TIMEOUT_S" <<'PYEOF' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=float(sys.argv[2])).close()
PYEOF
}

if [ -n "$INDEX" ] && reachable "$INDEX"; then
    echo "installing torch $VERSION (CPU) from $INDEX" >&2
    if "$PY" -m pip install --quiet --timeout 30 --retries 1 --index-url "$INDEX" "torch==$VERSION"; then
        exit 0
    fi
    echo "note: installing from $INDEX failed; trying what pip is configured with" >&2
elif [ -n "$INDEX" ]; then
    echo "note: $INDEX is not reachable; installing torch $VERSION from what pip is configured with" >&2
fi
"$PY" -m pip install --quiet "torch==$VERSION"
if "$PY" -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "warning: pip's configured index gave a CUDA build of torch (nvidia-* packages, several GB);" \
        "set FACTSANDWICH_TORCH_INDEX to a mirror of https://download.pytorch.org/whl/cpu" >&2
fi
