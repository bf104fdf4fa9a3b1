"""Start-up time of `factsandwich check`: a whole command (a new process each time), and where an
in-process run spends it (imports, opening the store, the claims, the encoders, the claim index, the
classifier, the analysis itself).

The data directory must hold trained models (run `factsandwich demo --no-serve` or `factsandwich train`
first, or pass --data-dir of one that does): start-up, not the first training, is measured. Last line:
JSON.

    python bench/startup.py [--data-dir DIR] [--runs 3] [--text "They take our jobs"]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

STAGES = r"""
import json, sys, time
t0 = time.perf_counter(); marks = {}
def mark(name):
    global t0
    now = time.perf_counter(); marks[name] = round(now - t0, 3); t0 = now
from factsandwich.cli import _open_app
mark("import the CLI")
app = _open_app()
mark("open the store (migrations)")
_ = app.claims
mark("claims (sync with claims_db/)")
app.encoder.encode(["WARM"])
mark("encoders: load and first encode")
_ = app.matcher
mark("claim index and claim model")
_ = app.classifier
mark("classifier")
_ = app.fact_check_search
mark("fact-check search")
app.check(sys.argv[1])
mark("analyse one text")
print(json.dumps(marks))
"""


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: on a machine shared with other
    work, a steadier measure of what a start-up costs than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="default: FACTSANDWICH_DATA_DIR")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--text", default="They take our jobs")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if args.data_dir:
        env["FACTSANDWICH_DATA_DIR"] = str(args.data_dir)

    def command(run: int) -> list[str]:
        # A new text each time: a text checked before has its vectors in the embedding cache, and its
        # check loads no encoder at all (which is what a repeated check costs, not a new one).
        text = f"{args.text} ({uuid.uuid4().hex[:8]} {run})"
        return [sys.executable, "-c", "from factsandwich.cli import main; main()", "check", text]

    subprocess.run(command(0), env=env, check=True, capture_output=True)  # warm the OS file cache
    walls, cpus = [], []
    for run in range(1, args.runs + 1):
        started, used = time.perf_counter(), _children_cpu()
        subprocess.run(command(run), env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - used)
    warm = f"warm {uuid.uuid4().hex}"
    stages = json.loads(
        subprocess.run(
            [sys.executable, "-c", STAGES.replace("WARM", warm), f"{args.text} {uuid.uuid4().hex}"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()[-1]
    )
    for name, seconds in stages.items():
        print(f"{name:36} {seconds:7.2f} s")
    print(
        f"{'whole check command (median)':36} {statistics.median(walls):7.2f} s wall, "
        f"{statistics.median(cpus):.2f} s CPU  (runs, wall: " + ", ".join(f"{w:.2f}" for w in walls) + ")"
    )
    print(
        json.dumps(
            {
                "check_wall_s_median": round(statistics.median(walls), 2),
                "check_cpu_s_median": round(statistics.median(cpus), 2),
                "wall_runs": [round(w, 2) for w in walls],
                "cpu_runs": [round(c, 2) for c in cpus],
                "stages_s": stages,
            }
        )
    )


if __name__ == "__main__":
    main()
