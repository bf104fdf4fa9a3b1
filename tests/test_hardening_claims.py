"""Issue 10, claim files: YAML aliases (a "billion laughs" bomb) are refused before anything expands
them, in claims_db/ and through the editor's import; one id in x.yaml and x.yml is an error."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from test_webui import core, login  # noqa: F401  (fixtures)

from factsandwich.claims import load_claims, parse_claim
from factsandwich.config import PROJECT_ROOT
from factsandwich.errors import ClaimsError
from factsandwich.pipeline import Factsandwich
from webui import create_app


def alias_bomb() -> str:
    """About 1 KB that a YAML loader expands to 9^9 (387 million) strings once anything formats it."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    lines.append("id: *i")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_with_file_and_line() -> None:
    with pytest.raises(ClaimsError, match=r"bomb\.yaml:2: .*aliases"):
        parse_claim(alias_bomb(), Path("bomb.yaml"))


def test_an_alias_bomb_in_claims_db_is_one_line_error(tmp_path: Path) -> None:
    claims = tmp_path / "claims"
    shutil.copytree(PROJECT_ROOT / "claims_db", claims)
    (claims / "bomb.yaml").write_text(alias_bomb())
    code, _out, err = run_cli("claims", "validate", "--dir", str(claims))
    assert code == 1 and err.startswith("Error: ") and "aliases" in err and err.count("\n") == 1


def test_an_alias_bomb_uploaded_to_the_editor_is_refused(core: Factsandwich) -> None:  # noqa: F811
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core)
    client = app.test_client()
    login(client, "editor")
    response = client.post(
        "/claims/import",
        data={"file": (io.BytesIO(alias_bomb().encode()), "bomb.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"aliases" in response.data
    assert client.get("/healthz").status_code == 200


def test_one_id_in_a_yaml_and_a_yml_file_is_an_error(tmp_path: Path) -> None:
    claims = tmp_path / "claims"
    shutil.copytree(PROJECT_ROOT / "claims_db", claims)
    shutil.copy(claims / "jobs-taken.yaml", claims / "jobs-taken.yml")
    with pytest.raises(ClaimsError, match=r"jobs-taken\.yml: id 'jobs-taken' is also in jobs-taken\.yaml"):
        load_claims(claims)
    code, _out, err = run_cli("claims", "validate", "--dir", str(claims))
    assert code == 1 and "also in jobs-taken.yaml" in err and err.count("\n") == 1


def test_aliases_are_refused_without_libyaml_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from factsandwich import claims

    monkeypatch.setattr(claims, "_FAST_LOADER", None)  # PyYAML built without libyaml: the Python loader
    with pytest.raises(ClaimsError, match=r"bomb\.yaml:2: .*aliases"):
        parse_claim(alias_bomb(), Path("bomb.yaml"))
