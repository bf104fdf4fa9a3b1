#!/usr/bin/env bash
# The README's first command: install everything, then run the main job on the bundled demo data
# (scan the demo feeds and posts, print the flagged items with their fact-sandwich drafts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export FACTSANDWICH_DATA_DIR="${FACTSANDWICH_DATA_DIR:-$PWD/.factsandwich}"
# The demo office (the author of its ClaimReview exports); a real office sets its own name and address.
export FACTSANDWICH_ORGANISATION="${FACTSANDWICH_ORGANISATION:-Stadt Musterstadt (Demo)}"
# The demo office's area: posts naming it are local (a higher priority in the queue, local alerts).
export FACTSANDWICH_PLACES="${FACTSANDWICH_PLACES:-Musterstadt, Riverside}"
exec .venv/bin/factsandwich demo
