"""Feed management (comms officers): the monitored feeds with their state; add and remove."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from factsandwich import subscriptions
from webui.context import store
from webui.security import actor, requires

blueprint = Blueprint("feeds", __name__)


@blueprint.route("/feeds")
@requires("comms")
def index() -> Any:
    return render_template("feeds.html", feeds=subscriptions.list_feeds(store()))


@blueprint.route("/feeds/add", methods=["POST"])
@requires("comms")
def add() -> Any:
    form = request.form
    interval = form.get("interval", 900, type=int) or 900
    subscriptions.add_feed(
        store(),
        form.get("url", ""),
        form.get("name") or None,
        form.get("language") or None,
        interval,
        actor(),
    )
    return redirect(url_for("feeds.index"))


@blueprint.route("/feeds/remove", methods=["POST"])
@requires("comms")
def remove() -> Any:
    subscriptions.remove_feed(store(), request.form.get("url", ""), actor())
    return redirect(url_for("feeds.index"))
