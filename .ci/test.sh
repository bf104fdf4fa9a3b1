#!/usr/bin/env bash
# The README's second command: install everything, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install.sh
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
FACTSANDWICH_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
export FACTSANDWICH_TEST_POSTGRES_URL HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check factsandwich webui tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
