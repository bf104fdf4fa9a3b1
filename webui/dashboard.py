"""The dashboard (every role) and /healthz (for monitoring; no login, no secrets)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from factsandwich import statistics
from webui.context import core, store
from webui.security import requires

blueprint = Blueprint("dashboard", __name__)
COLOURS = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#2e4057", "#c06c84"]


@blueprint.route("/dashboard")
@requires()
def index() -> Any:
    data = statistics.dashboard(store())
    totals = [sum(per[week] for per in data.per_claim_week.values()) for week in data.weeks]
    peak = max(totals or [1])
    bars = []  # stacked bars: one column per week, one segment per myth
    for col, week in enumerate(data.weeks):
        y = 0.0
        for row, (claim_id, per_week) in enumerate(sorted(data.per_claim_week.items())):
            count = per_week.get(week, 0)
            if count:
                height = 160 * count / peak
                bars.append(
                    {
                        "x": 40 + col * 60,
                        "y": 180 - y - height,
                        "height": height,
                        "claim": claim_id,
                        "count": count,
                        "week": week,
                        "colour": COLOURS[row % len(COLOURS)],
                    }
                )
                y += height
    legend = [(claim_id, COLOURS[i % len(COLOURS)]) for i, claim_id in enumerate(sorted(data.per_claim_week))]
    due = [(c.id, reasons) for c in core().claims.active if (reasons := c.review_due())]
    return render_template(
        "dashboard.html",
        data=data,
        due=due,
        bars=bars,
        legend=legend,
        peak=peak,
        width=max(300, 60 + 60 * len(data.weeks)),
    )


@blueprint.route("/audit")
@requires("admin")
def audit() -> Any:
    """The audit log: every decision with who, what, when, before and after (newest first)."""
    return render_template("audit.html", entries=store().list_audit(limit=500))


@blueprint.route("/healthz")
def health() -> Any:
    """Database, claim index and models, each with its state; 503 when one is down."""
    body = core().health()
    return jsonify(body), 200 if body["ok"] else 503
