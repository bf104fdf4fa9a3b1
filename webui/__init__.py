"""The factsandwich web UI: a thin Flask shell over the library (one store, one matcher, one classifier).

`create_app(config)` builds the app; `factsandwich serve` runs it under waitress. Blueprints per role:
triage (comms officers), responses (spokespeople), claims (editors), dashboard and health for all.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from factsandwich.config import Settings
from factsandwich.errors import EditConflict, FactsandwichError
from factsandwich.files import atomic_write_text
from factsandwich.pipeline import Factsandwich, make_factsandwich
from webui import formatting, i18n
from webui.context import core as core

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _secret_key(settings: Settings) -> str:
    """A key kept in the data directory, so sessions survive restarts and are shared by workers."""
    path = settings.data_dir / "secret_key"
    if not path.is_file():
        atomic_write_text(path, secrets.token_hex(32), mode=0o600)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None, *, core: Factsandwich | None = None) -> Flask:
    """Build the app. `config` overrides Flask settings; `core` lets tests pass a prepared library."""
    settings = core.settings if core is not None else Settings.from_env()
    if core is None:
        core = make_factsandwich(settings)
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        ORGANISATION=settings.organisation,  # ClaimReview's author (FACTSANDWICH_ORGANISATION)
    )
    app.config.update(config or {})
    app.extensions["factsandwich"] = core
    CSRFProtect(app)
    i18n.init_app(app, settings.timezone)
    formatting.init_app(app)

    from webui import (
        admin,  # accounts and the audit log (issue 13)
        api,
        auth,
        claims_editor,
        dashboard,
        feeds,
        narratives,
        responses,
        triage,
        workflow,
    )

    for module in (auth, triage, responses, claims_editor, dashboard, feeds, workflow, narratives, api):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(admin.blueprint)

    @app.before_request
    def current_claims() -> None:
        core.refresh_claims()  # an edit in another worker takes effect here too

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "_": i18n.gettext,
            "language": i18n.current_language(),
            "user": g.get("user"),
            "form_token": lambda: secrets.token_hex(16),
        }

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return render_template("error.html", message=error.description), 400

    for code, key in ((403, "forbidden"), (404, "not_found"), (400, "bad_request")):
        app.register_error_handler(code, _error_page(code, key))

    @app.errorhandler(FactsandwichError)
    def library_error(error: FactsandwichError) -> Any:
        """A user action the library refused (a conflict, a wrong state): say why, change nothing."""
        return render_template("error.html", message=str(error)), 409 if isinstance(
            error, EditConflict
        ) else 400

    app.jinja_env.filters["reject_page"] = lambda args: {k: v for k, v in args.items() if k != "page"}
    return app


def _error_page(code: int, key: str) -> Any:
    def handler(_error: Exception) -> Any:
        return render_template("error.html", message=i18n.gettext(key)), code

    return handler
