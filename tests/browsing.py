"""What every browser test shares: the real app served on a free local port, Debian's Chromium
launched the one way the project allows (headless, its own fresh profile, the flags of DEVELOPERS.md,
a probe that records what the Content-Security-Policy blocked), logging in, screenshots.

The fixtures `playwright`, `browser`, `second_browser` and `server` (the demo scanned, one account per
role) are registered by conftest.py; a test module that needs other data defines its own `server`
with `serve`."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

from factsandwich.accounts import add_user
from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from webui import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
USERS = {"admin": ["admin"], "comms": ["comms"], "spokesperson": ["spokesperson"], "editor": ["editor"]}
SCREENSHOTS = Path(__file__).parent / "artifacts" / "screenshots"
DEMO = PROJECT_ROOT / "demo"

# Recorded in every page before its own scripts run: what Content-Security-Policy blocked. Markup that
# escaped escaping (an inline script, an onerror handler, a javascript: URL) shows up here even though
# the CSP stops it from running, so a broken template fails the test instead of being saved by the CSP.
CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""


@dataclass
class Server:
    url: str
    core: Factsandwich

    @property
    def store(self) -> Store:
        assert self.core.store is not None
        return self.core.store


def real_core(real_data_dir: Path, tmp: Path, **settings: Any) -> Factsandwich:
    """The real pipeline on a copy of the shared models (a pair added in a test makes a new index,
    which stays in the copy) and a fresh SQLite database; `settings` override Settings' fields."""
    shutil.copytree(real_data_dir, tmp / "data")
    chosen = Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'web.db'}", **settings)
    return Factsandwich(chosen, store=Store(chosen.effective_database_url))


@contextlib.contextmanager
def serve(core: Factsandwich) -> Iterator[Server]:
    """The web UI of `core` (CSRF on, cookies over plain HTTP) on 127.0.0.1, a free port."""
    app = create_app({"SESSION_COOKIE_SECURE": False}, core=core)
    assert app.config.get("WTF_CSRF_ENABLED", True)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{http.server_port}", core)
    finally:
        http.shutdown()
        http.server_close()
        thread.join(10)


def launch(playwright: Playwright, profile: Path, **options: Any) -> BrowserContext:
    """A fresh Chromium with its own profile (so its own cookies), never a Playwright-downloaded
    browser; `options` override the desktop defaults (e.g. a phone's viewport)."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        **({"locale": "en-GB", "viewport": {"width": 1280, "height": 900}} | options),
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_PROBE)
    return context


@pytest.fixture(scope="module")
def server(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real app (real encoders, index and classifier) with the demo scanned, one account per role."""
    core = real_core(real_data_dir, tmp_path_factory.mktemp("browser"))
    list(core.scan([str(DEMO / "feeds"), str(DEMO / "posts.jsonl")]))
    assert core.store is not None
    for name, roles in USERS.items():
        add_user(core.store, name, roles, PASSWORD, "en")
    with serve(core) as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright, server: Server, tmp_path: Path) -> Iterator[BrowserContext]:
    """One fresh Chromium per test, allowed to use the clipboard on the server's pages."""
    context = launch(playwright, tmp_path / "chromium-profile")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def second_browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """Another person's browser: its own profile, so its own cookies."""
    context = launch(playwright, tmp_path / "second-profile")
    try:
        yield context
    finally:
        context.close()


def page_of(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else context.new_page()


def login(page: Page, server: Server, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form button.primary")
    expect(page.locator("header .who")).to_have_text(name)


def logout(page: Page) -> None:
    page.click("header form[action='/logout'] button")
    page.wait_for_url("**/login")


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot in tests/artifacts/screenshots/, checked to be a real, non-blank PNG."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000
    return path
