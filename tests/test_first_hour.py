"""Issue 10, the first hour on a fresh machine: torch comes from PyTorch's CPU index when it can be
reached and from pip's configuration when not (noticed within seconds); the README's commands use the
demo's data; skip reasons are shown. Scripts are run with a stand-in python that records pip's
arguments (no download, no network beyond 127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from factsandwich.config import PROJECT_ROOT

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [ "$1" = "-" ] && [ "$#" -eq 2 ]; then cat >/dev/null; exit 1; fi   # "torch is not installed"
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    case " $* " in *" --index-url "*) [ -n "${FAIL_INDEX:-}" ] && exit 1 ;; esac
    exit 0
fi
exec "$REAL_PYTHON" "$@"
"""


def run_install_torch(
    tmp_path: Path, index: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    environment = {
        **os.environ,
        "FAKE_LOG": str(log),
        "REAL_PYTHON": sys.executable,
        "FACTSANDWICH_TORCH_INDEX": index,
        "FACTSANDWICH_TORCH_INDEX_TIMEOUT": "2",
        **env,
    }
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / ".ci" / "install-torch.sh"), str(fake)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pip_installs = [line for line in log.read_text().splitlines() if line.startswith("-m pip install")]
    return result, pip_installs


def index_server(http_server: Callable[[dict[str, Callable[[BaseHTTPRequestHandler], None]]], str]) -> str:
    def listing(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return http_server({"/whl/cpu/torch/": listing}) + "/whl/cpu"


def test_torch_comes_from_the_cpu_index_when_it_is_reachable(tmp_path: Path, http_server) -> None:  # type: ignore[no-untyped-def]
    index = index_server(http_server)
    result, installs = run_install_torch(tmp_path, index)
    assert result.returncode == 0, result.stderr
    assert installs == [f"-m pip install --quiet --timeout 30 --retries 1 --index-url {index} torch==2.13.0"]


def test_an_unreachable_index_falls_back_to_pips_configuration(tmp_path: Path) -> None:
    result, installs = run_install_torch(tmp_path, "http://127.0.0.1:9/whl/cpu")  # nothing listens there
    assert result.returncode == 0, result.stderr
    assert installs == ["-m pip install --quiet torch==2.13.0"]
    assert "not reachable" in result.stderr


def test_a_failing_index_install_falls_back_too(tmp_path: Path, http_server) -> None:  # type: ignore[no-untyped-def]
    result, installs = run_install_torch(tmp_path, index_server(http_server), FAIL_INDEX="1")
    assert result.returncode == 0, result.stderr
    assert (
        len(installs) == 2
        and "--index-url" in installs[0]
        and installs[1] == "-m pip install --quiet torch==2.13.0"
    )


def test_an_empty_index_setting_uses_pips_configuration_only(tmp_path: Path) -> None:
    result, installs = run_install_torch(tmp_path, "")
    assert result.returncode == 0 and installs == ["-m pip install --quiet torch==2.13.0"]


def test_install_uses_the_cpu_index_script_and_names_no_other_host() -> None:
    install = (PROJECT_ROOT / ".ci" / "install.sh").read_text()
    assert "bash .ci/install-torch.sh" in install and "pip install --quiet torch" not in install
    script = (PROJECT_ROOT / ".ci" / "install-torch.sh").read_text()
    assert "INDEX=${FACTSANDWICH_TORCH_INDEX-https://download.pytorch.org/whl/cpu}" in script


def test_test_sh_shows_skip_reasons_and_checks_the_cpu_build() -> None:
    script = (PROJECT_ROOT / ".ci" / "test.sh").read_text()
    assert "pytest -q -rs" in script and "nvidia-" in script


def test_readme_commands_continue_with_the_demos_data() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    using = readme.split("## Using it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert "export FACTSANDWICH_DATA_DIR=$PWD/.factsandwich" in using
    run_sh = (PROJECT_ROOT / "demo" / "run.sh").read_text()
    assert 'FACTSANDWICH_DATA_DIR="${FACTSANDWICH_DATA_DIR:-$PWD/.factsandwich}"' in run_sh


@pytest.mark.parametrize("script", ["install.sh", "install-torch.sh", "test.sh"])
def test_ci_scripts_parse(script: str) -> None:
    assert subprocess.run(["bash", "-n", str(PROJECT_ROOT / ".ci" / script)]).returncode == 0


@pytest.mark.models
def test_demo_readme_states_how_many_demo_myths_are_flagged(real_env: Path) -> None:
    """The demo README's count of flagged myths is what a scan of the demo data flags (real models)."""
    import json
    import re

    from conftest import DEMO, run_cli
    from test_cli_e2e import DEMO_MYTHS

    stated = re.search(r"What the demo flags today: (\d+) of these 13", (DEMO / "README.md").read_text())
    assert stated is not None
    code, out, _err = run_cli("scan", str(DEMO / "feeds"), str(DEMO / "posts.jsonl"))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    flagged = {r["guid"] for r in records if r["flagged"]}
    assert len(flagged & set(DEMO_MYTHS)) == int(stated.group(1)), sorted(set(DEMO_MYTHS) - flagged)
