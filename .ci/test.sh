#!/usr/bin/env bash
# The README's second command: install everything, then lint, type-check and run the whole test suite.
# Needs root only to apt-get Debian's chromium (browser tests) and postgresql (storage tests on both
# databases) when they are missing; a PostgreSQL cluster that this script started is stopped again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install.sh
# First-hour check: the CPU build of torch, never the multi-GB CUDA one (see .ci/install-torch.sh).
if .venv/bin/python -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "error: a CUDA build of torch is installed (nvidia-* packages); see .ci/install-torch.sh" >&2
    exit 1
fi
need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: $1 is missing and installing it needs root: apt-get install $1, or run as root" >&2
        exit 1
    fi
}
if ! command -v chromium >/dev/null; then
    need_root chromium
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v pg_lsclusters >/dev/null || need_root postgresql
# Stop PostgreSQL at the end only when this script started it.
if ! command -v pg_lsclusters >/dev/null || ! pg_lsclusters -h 2>/dev/null | grep -q " online "; then
    trap 'for v in $(ls /usr/lib/postgresql 2>/dev/null); do pg_ctlcluster "$v" main stop 2>/dev/null || true; done' EXIT
fi
FACTSANDWICH_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
export FACTSANDWICH_TEST_POSTGRES_URL HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check factsandwich webui tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -q -rs "$@"  # -rs: the reason of every skipped test
