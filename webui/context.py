"""The running app's library objects, for the views (as flaskr's db.py): the facade and its store."""

from __future__ import annotations

from flask import abort, current_app

from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store


def core() -> Factsandwich:
    """The library facade of the running app."""
    value: Factsandwich = current_app.extensions["factsandwich"]
    return value


def store() -> Store:
    """The app's store (the web UI always has one; a facade without one is a bug: 500)."""
    value = core().store
    if not isinstance(value, Store):
        abort(500)
    return value
