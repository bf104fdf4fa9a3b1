"""Fixtures: settings in temporary directories, a fake encoder for tests about something else, a real
app (real encoders, real classifier) trained once per session, and local HTTP feed servers."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from browsing import browser, playwright, second_browser, server  # noqa: F401  (the browser tests' fixtures)
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from factsandwich.cli import main
from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.embed import Vectors
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store

DEMO = PROJECT_ROOT / "demo"


class FakeEncoder:
    """Deterministic bag-of-words hashing vectors: for unit tests that are not about embeddings."""

    name = "fake:bow"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, sentence in enumerate(texts):
            for word in re.findall(r"\w+", sentence.casefold()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


@pytest.fixture(scope="session")
def fake_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake encoder's index, claim model and classifier, trained once per session."""
    data_dir = tmp_path_factory.mktemp("fake-models")
    app = Factsandwich(Settings(data_dir=data_dir), encoder=FakeEncoder())
    _ = app.matcher, app.classifier
    return data_dir


POSTGRES_URL = os.environ.get("FACTSANDWICH_TEST_POSTGRES_URL", "")
# Storage and monitor tests run on both databases: `@BOTH_DATABASES` (.ci/test.sh starts PostgreSQL).
BOTH_DATABASES = pytest.mark.parametrize("settings", ["sqlite", "postgresql"], indirect=True)


def _empty_postgres() -> str:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set FACTSANDWICH_TEST_POSTGRES_URL (.ci/test.sh does)")
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, fake_models: Path) -> Settings:
    """A fresh data directory and database per test, seeded with the fake models (tests stay fast).
    SQLite unless the test is parametrized with "postgresql" (an emptied PostgreSQL database)."""
    data_dir = tmp_path / "data"
    shutil.copytree(fake_models, data_dir)
    kind = getattr(request, "param", "sqlite")
    url = _empty_postgres() if kind == "postgresql" else f"sqlite:///{tmp_path / 'test.db'}"
    return Settings(data_dir=data_dir, database_url=url)


@pytest.fixture
def fake_app(settings: Settings) -> Factsandwich:
    """The real pipeline and store with the fake encoder (classifier trained on it: fast)."""
    return Factsandwich(settings, store=Store(settings.effective_database_url), encoder=FakeEncoder())


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the real index and the real classifier, built once per test session."""
    data_dir = tmp_path_factory.mktemp("real-data")
    app = Factsandwich(Settings(data_dir=data_dir))
    app.train()
    _ = app.matcher
    return data_dir


@pytest.fixture
def real_env(real_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for CLI runs with the real models: shared models, a fresh database per test."""
    monkeypatch.setenv("FACTSANDWICH_DATA_DIR", str(real_data_dir))
    monkeypatch.setenv("FACTSANDWICH_DATABASE_URL", f"sqlite:///{tmp_path / 'scan.db'}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


def run_cli(*args: str) -> tuple[int, str, str]:
    """The `factsandwich` command in-process: (exit code, stdout, stderr); an unexpected exception
    propagates (user mistakes are exit codes and messages, never exceptions)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


Handler = Callable[[BaseHTTPRequestHandler], None]


def etag_feed(
    body: bytes,
    etag: str = '"v1"',
    *,
    last_modified: str | None = None,
    seen: list[dict[str, str]] | None = None,
) -> Handler:
    """A polite feed server's route: `body` with its ETag (and Last-Modified), 304 to a request that
    names that ETag; each request's headers are appended to `seen`."""

    def serve(handler: BaseHTTPRequestHandler) -> None:
        if seen is not None:
            seen.append(dict(handler.headers))
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("ETag", etag)
        if last_modified:
            handler.send_header("Last-Modified", last_modified)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return serve


@pytest.fixture
def http_server() -> Iterator[Callable[[dict[str, Handler]], str]]:
    """Serve given paths on 127.0.0.1 with handler functions; returns the base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Handler]) -> str:
        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            def log_message(self, *args: object) -> None:
                pass

        http = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        http.daemon_threads = True
        threading.Thread(target=http.serve_forever, daemon=True).start()
        servers.append(http)
        return f"http://127.0.0.1:{http.server_address[1]}"

    yield start
    for http in servers:
        http.shutdown()
        http.server_close()
