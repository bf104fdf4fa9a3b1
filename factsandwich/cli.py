"""The `factsandwich` command: a thin shell over the library. User mistakes become one-line errors."""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import logging
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from factsandwich import alerting, alerts, monitor, narratives, partners, subscriptions, trends
from factsandwich.accounts import ROLES, UI_LANGUAGES, add_user, list_users, set_disabled
from factsandwich.audit import audit_csv, audit_markdown, audit_rows, number_mismatches
from factsandwich.claims import AS_OF_MAX_AGE_YEARS, REVIEW_MAX_AGE_DAYS, load_claims
from factsandwich.classify import describe
from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.dates import utcnow
from factsandwich.errors import AccountError, FactsandwichError
from factsandwich.fact_check_tuning import read_checkthat_pairs, read_pairs_jsonl, tuned_name
from factsandwich.files import atomic_output, atomic_write_text
from factsandwich.pipeline import Factsandwich, ScanRecord, ScanSummary, make_factsandwich
from factsandwich.sandwich import CHANNEL_LIMITS, TONES
from factsandwich.storage import Store
from factsandwich.storage import narratives as narratives_store

CSV_FIELDS = (
    "source",
    "guid",
    "title",
    "link",
    "published",
    "language",
    "myth_probability",
    "flagged",
    "top_claim",
    "top_score",
    "draft_text",
    "text",
)


def _settings() -> Settings:
    return Settings.from_env()


def _open_app(*, use_store: bool = True) -> Factsandwich:
    app = make_factsandwich(_settings(), use_store=use_store)
    if not app.classifier_path.is_file():  # not MythClassifier.load: the pipeline loads it (once) anyway
        click.echo("first run: training the myth classifier and building the claim index ...", err=True)
    return app


class _Command(click.Group):
    """Turns library errors into `Error: ...` lines with exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FactsandwichError as exc:
            raise click.ClickException(str(exc)) from None
        except PermissionError as exc:  # e.g. a data directory of another user
            where = exc.filename or "a file"
            raise click.ClickException(
                f"{where}: permission denied; set FACTSANDWICH_DATA_DIR to a directory this user may write"
            ) from None


@click.group(cls=_Command)
@click.version_option(package_name="factsandwich")
def main() -> None:
    """Spot migration myths in feeds and posts, and draft fact-sandwich responses."""


@main.group()
def claims() -> None:
    """Inspect the myth/fact database (claims_db/)."""


@claims.command("validate")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="Claims directory to check.")
def claims_validate(directory: Path | None) -> None:
    """Check every pair; report the first problem with file, line and field.

    Then warn (on stderr, exit status 0) about pairs due for review: not reviewed for
    REVIEW_MAX_AGE_DAYS days, figures describing a year more than AS_OF_MAX_AGE_YEARS back, German
    and English texts stating different numbers, and facts that do not hold in the office's country.
    """
    settings = _settings()
    claim_set = load_claims(directory or settings.claims_dir)
    review = [c.id for c in claim_set if c.status == "needs_review"]
    warnings = []
    for claim in claim_set:
        if claim.status == "retired":
            continue
        warnings += [f"{claim.id}: due for review: {reason}" for reason in claim.review_due()]
        warnings += [f"numbers differ between languages: {p}" for p in number_mismatches(claim)]
        if claim.jurisdiction and not claim.holds_in(settings.office_country):
            warnings.append(
                f"{claim.id}: its facts hold for {claim.jurisdiction}, not for the office's country "
                f"{settings.office_country} (FACTSANDWICH_OFFICE_COUNTRY); drafts carry a warning"
            )
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"OK: {len(claim_set)} claims valid"
        + (f"; needs review: {', '.join(review)}" if review else "")
        + (
            f"; {len(warnings)} warnings (review every {REVIEW_MAX_AGE_DAYS} days, "
            f"figures at most {AS_OF_MAX_AGE_YEARS} years old)"
            if warnings
            else ""
        )
    )


@claims.command("audit")
@click.option("--format", "fmt", type=click.Choice(["md", "csv"]), default="md", show_default=True)
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="Claims directory to audit.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the sheet here instead of stdout.")
def claims_audit(fmt: str, directory: Path | None, out: Path | None) -> None:
    """An audit sheet: every number and year in every fact, short fact and explanation (both
    languages) beside the sources of its pair, with a box to tick."""
    claim_set = load_claims(directory or _settings().claims_dir)
    rows = audit_rows(claim_set)
    sheet = audit_csv(rows) if fmt == "csv" else audit_markdown(claim_set, rows)
    with _open_output(out) as handle:
        handle.write(sheet if sheet.endswith("\n") else sheet + "\n")
    click.echo(f"{len(rows)} numbers in {len(claim_set)} pairs", err=True)


@claims.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def claims_list(fmt: str) -> None:
    """List the live pairs, as the web UI's editors left them (JSON: id, status, myths, fact, sources
    and every other field)."""
    claim_set = make_factsandwich(_settings()).claims
    if fmt == "json":
        click.echo(json.dumps([c.to_dict() for c in claim_set], ensure_ascii=False, indent=2))
        return
    for claim in claim_set:
        click.echo(f"{claim.id:38} {claim.status:13} {claim.canonical_myth('en')}")


@main.command()
def train() -> None:
    """Train the myth classifier on the claims and the labelled posts; print its dev metrics."""
    app = make_factsandwich(_settings())
    click.echo("training the myth classifier ...", err=True)
    classifier = app.train()
    click.echo(describe(classifier.metadata))
    click.echo(f"including {classifier.metadata['n_office_decisions']} triage decisions of this office")
    click.echo(json.dumps(classifier.metadata["dev_metrics"], indent=2))


def _open_output(path: Path | None) -> Any:
    return atomic_output(path) if path else _stdout()


@contextmanager
def _stdout() -> Iterator[IO[str]]:
    yield sys.stdout


class _Report:
    def __init__(self, handle: IO[str], fmt: str) -> None:
        self.handle, self.fmt = handle, fmt
        self.csv = csv.DictWriter(handle, CSV_FIELDS) if fmt == "csv" else None
        if self.csv:
            self.csv.writeheader()

    def write(self, record: ScanRecord) -> None:
        data = record.to_dict()
        if self.fmt == "jsonl":
            self.handle.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif self.csv is not None:
            top = data["matches"][0] if data["matches"] else {}
            row = {
                **{k: data[k] for k in CSV_FIELDS if k in data},
                "top_claim": top.get("claim_id", ""),
                "top_score": top.get("score", ""),
                "draft_text": data["draft"]["text"] if data["draft"] else "",
            }
            self.csv.writerow({k: _csv_cell(v) for k, v in row.items()})
        else:
            self.handle.write(_table_line(data) + "\n")
        self.handle.flush()


def _csv_cell(value: Any) -> Any:
    """Feed text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+`, `-`, `@`, a tab or a
    carriage return first) is written with a leading apostrophe: shown as text, never evaluated."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _table_line(data: dict[str, Any]) -> str:
    mark = "FLAG" if data["flagged"] else "    "
    top = data["matches"][0]["claim_id"] if data["matches"] else "-"
    label = (data["title"] or data["text"]).replace("\n", " ")[:70]
    line = f"{mark} {data['myth_probability']:.2f} {data['language']} {top:34} {label}"
    if data["draft"]:
        line += "\n     draft: " + data["draft"]["text"].replace("\n", "\n            ")
    for fact_check in data["fact_checks"]:
        where = fact_check["url"] or f"{fact_check['collection']}/{fact_check['external_id']}"
        line += f"\n     fact-check {fact_check['score']:.2f}: {fact_check['claim'][:80]} <{where}>"
    return line


def _print_summary(summary: ScanSummary, app: Factsandwich) -> None:
    for warning in app.warnings:  # e.g. a pair changed both in claims_db/ and in the web UI
        click.echo(f"warning: {warning}", err=True)
    for _source, error in summary.failed:
        click.echo(f"error: {error}", err=True)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"scanned {summary.sources} source(s): {summary.processed} item(s) processed, "
        f"{summary.flagged} flagged; skipped {summary.skipped_stored} already stored, "
        f"{summary.skipped_duplicate} duplicate(s), {summary.skipped_empty} empty; "
        f"{summary.not_modified} not modified; {len(summary.failed)} source(s) failed",
        err=True,
    )


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv", "table"]), default="jsonl", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option("--no-store", is_flag=True, help="Pure batch run: read nor write the database.")
@click.option("--channel", type=click.Choice(list(CHANNEL_LIMITS)), default="short", show_default=True)
@click.option("--tone", type=click.Choice(list(TONES)), default="factual", show_default=True)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal)."
)
def scan(
    sources: tuple[str, ...],
    fmt: str,
    out: Path | None,
    no_store: bool,
    channel: str,
    tone: str,
    progress: bool | None,
) -> None:
    """Scan SOURCES (feed URLs, feed files, directories, .jsonl/.txt posts) and report each new item."""
    if out is not None and not out.parent.is_dir():
        raise click.BadParameter(f"directory {out.parent} does not exist", param_hint="--out")
    app = _open_app(use_store=not no_store)
    summary = ScanSummary()
    show = sys.stderr.isatty() if progress is None else progress
    bar = _ProgressBar() if show else None
    with _open_output(out) as handle:
        report = _Report(handle, fmt)
        for record in app.scan(sources, channel=channel, tone=tone, progress=bar, summary=summary):
            report.write(record)
    if bar:
        bar.close()
    _print_summary(summary, app)
    if summary.failed and not summary.processed and summary.sources == len(summary.failed):
        sys.exit(1)


class _ProgressBar:
    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="scanning", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@main.command()
@click.argument("text")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option("--channel", type=click.Choice(list(CHANNEL_LIMITS)), default="short", show_default=True)
@click.option("--tone", type=click.Choice(list(TONES)), default="factual", show_default=True)
def check(text: str, fmt: str, channel: str, tone: str) -> None:
    """Analyse one TEXT: matched claims, myth probability, when flagged a draft, and matching imported
    fact-checks. Nothing is stored."""
    if not text.strip():
        raise click.BadParameter("the text is empty", param_hint="TEXT")
    app = _open_app()
    data = app.check(text, channel=channel, tone=tone).to_dict()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(_table_line(data))


@main.group()
def feeds() -> None:
    """Manage the feeds the monitor polls."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A readable name (default: the URL).")
@click.option("--language", type=click.Choice(["de", "en"]), help="The feed's language, for the lists.")
@click.option(
    "--interval",
    "interval_s",
    default=900,
    show_default=True,
    type=int,
    help="Seconds between polls (60 to 604800, a week).",
)
def feeds_add(url: str, name: str | None, language: str | None, interval_s: int) -> None:
    """Subscribe to the feed at URL."""
    added = subscriptions.add_feed(_store(), url, name, language, interval_s)
    click.echo(f"added {url}" if added else f"{url} is subscribed already")


@feeds.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def feeds_list(fmt: str) -> None:
    """Each feed with its last success, last error, error count and next poll."""
    rows = subscriptions.list_feeds(_store())
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        **r.__dict__,
                        "next_poll": r.next_poll.isoformat(),
                        "last_success": r.last_success.isoformat() if r.last_success else None,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for r in rows:
        status = f"error x{r.error_count}: {r.last_error}" if r.error_count else "ok"
        click.echo(
            f"{r.name[:40]:40} every {r.interval_s:>5}s  next {r.next_poll:%Y-%m-%d %H:%M}  "
            f"last success {r.last_success or '-'}  {status}  {r.url}"
        )


@feeds.command("remove")
@click.argument("url")
def feeds_remove(url: str) -> None:
    """Unsubscribe from URL (its stored items stay)."""
    if not subscriptions.remove_feed(_store(), url):
        raise click.ClickException(f"{url} is not subscribed (see 'factsandwich feeds list')")
    click.echo(f"removed {url}")


@feeds.command("import-opml")
@click.argument("file", type=click.File("rb"))
def feeds_import_opml(file: IO[bytes]) -> None:
    """Subscribe to every feed in an OPML FILE (as exported by feed readers)."""
    added, existing = subscriptions.import_opml(_store(), file.read())
    click.echo(f"added {added} feed(s); {existing} subscribed already")


@feeds.command("export-opml")
def feeds_export_opml() -> None:
    """Print the subscriptions as OPML."""
    click.echo(subscriptions.export_opml(_store()), nl=False)


@main.group("factchecks")
def fact_checks() -> None:
    """Import and tune external fact-check collections (searched next to the curated pairs)."""


@fact_checks.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--collection", required=True, help="Name of the collection, e.g. snopes (a-z, 0-9, - and _).")
@click.option("--language", default="", help="Language of records that name none, e.g. en.")
def fact_checks_import(file: Path, collection: str, language: str) -> None:
    """Import (add or update) the fact-checks in FILE: JSON Lines (CheckThat! vclaims or
    {"id", "claim", "title", "summary", "rating", "publisher", "date", "url"} records), a JSON array,
    schema.org ClaimReview JSON-LD, or an HTML page with ClaimReview markup."""
    started = time.perf_counter()
    app = make_factsandwich(_settings())
    read, added, updated = app.import_fact_checks(file, collection, language=language)
    for problem in read.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(
        f"{collection}: {added} added, {updated} updated, {len(read.fact_checks) - added - updated} "
        f"unchanged, {len(read.problems)} problem(s); searchable after {time.perf_counter() - started:.1f} s"
    )


@fact_checks.command("list")
def fact_checks_list() -> None:
    """Show the imported collections and the retriever in use."""
    collections = _store().fact_check_collections()
    if not collections:
        click.echo("no fact-checks imported (see 'factsandwich factchecks import --help')")
    for name, count in collections:
        click.echo(f"{name:30} {count:>7} fact-checks")
    tuned = tuned_name(_settings().models_dir)
    click.echo(f"retriever: {tuned or 'packaged all-MiniLM-L6-v2 (not tuned; no re-ranker)'}")


@fact_checks.command("remove")
@click.argument("collection")
def fact_checks_remove(collection: str) -> None:
    """Delete an imported COLLECTION (items already matched keep their links)."""
    removed = _store().remove_fact_check_collection(collection)
    if not removed:
        raise click.ClickException(f"no collection {collection!r} (see 'factsandwich factchecks list')")
    click.echo(f"removed {removed} fact-checks of {collection}")


@fact_checks.command("tune")
@click.option("--pairs", type=click.Path(dir_okay=False, path_type=Path), help="JSON Lines pairs file.")
@click.option("--queries", type=click.Path(dir_okay=False, path_type=Path), help="CheckThat! queries.tsv.")
@click.option("--qrels", type=click.Path(dir_okay=False, path_type=Path), help="CheckThat! qrels.tsv.")
@click.option("--collection", help="The collection the qrels' fact-check ids belong to.")
def fact_checks_tune(
    pairs: Path | None, queries: Path | None, qrels: Path | None, collection: str | None
) -> None:
    """Fine-tune the retriever and fit its re-ranker on matched (post, fact-check) pairs: either
    --pairs FILE ({"text", "collection", "external_id", "published"} per line) or the CheckThat! layout
    --queries Q --qrels R --collection NAME. Takes a few minutes on a CPU; the result is used at once."""
    if pairs is not None and queries is None and qrels is None:
        training = read_pairs_jsonl(pairs)
    elif pairs is None and queries is not None and qrels is not None and collection:
        training = read_checkthat_pairs(queries, qrels, collection)
    else:
        raise click.UsageError("give either --pairs, or --queries, --qrels and --collection")
    started = time.perf_counter()
    app = make_factsandwich(_settings())
    tuned = app.tune_fact_checks(training, log=lambda message: click.echo(message, err=True))
    click.echo(
        f"tuned {tuned.directory.name} on {len(training)} pairs in {time.perf_counter() - started:.0f} s"
    )


@main.command("monitor")
@click.option(
    "--idle", "idle_s", default=30.0, show_default=True, type=float, help="Seconds to wait between rounds."
)
@click.option("--rounds", type=int, help="Stop after this many rounds (default: until SIGTERM).")
def monitor_command(idle_s: float, rounds: int | None) -> None:
    """Poll the due feeds until stopped (SIGTERM or Ctrl-C finish the current feed, then stop)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    monitor.run(_open_app(), idle_s=idle_s, rounds=rounds)


@main.group()
def users() -> None:
    """Manage the web UI's accounts."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="Repeat for several roles.",
)
@click.option("--password-file", type=click.File("r"), help="Read the password from this file (else prompt).")
@click.option("--language", type=click.Choice(UI_LANGUAGES), default="de", show_default=True)
def users_add(name: str, roles: tuple[str, ...], password_file: IO[str] | None, language: str) -> None:
    """Add a user NAME with one or more roles."""
    if password_file is not None:
        password = password_file.read().strip()
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    user = add_user(_store(), name, list(roles), password, language)
    click.echo(f"added {user.name} ({', '.join(sorted(user.roles))})")


def _set_disabled(name: str, disabled: bool) -> None:
    store = _store()
    found = next((u for u in list_users(store) if u.name == name), None)
    if found is None:
        raise click.ClickException(f"no user named {name!r}")
    set_disabled(store, found.id, disabled, "cli", None)
    click.echo(f"{'disabled' if disabled else 'enabled'} {name}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable user NAME: no login, and their open web sessions end (the last admin stays)."""
    _set_disabled(name, True)


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable user NAME again."""
    _set_disabled(name, False)


# -- narratives, emerging myths, alerts, partner tokens (issue 14) ------------------------------------


def _since_option(f: Any) -> Any:
    return click.option(
        "--since",
        type=click.DateTime(["%Y-%m-%d"]),
        help="Only those seen on or after this date (YYYY-MM-DD).",
    )(f)


def _language_option(f: Any) -> Any:
    return click.option("--language", type=click.Choice(["de", "en"]), help="Only those in this language.")(f)


@main.group("narratives")
def narratives_group() -> None:
    """Narratives (flagged posts that repeat one myth) and emerging myths (posts no pair covers)."""


@narratives_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_since_option
@_language_option
def narratives_list(fmt: str, since: Any, language: str | None) -> None:
    """Each narrative: id, claim, count, first and last seen, sources and the guids of its posts."""
    app = make_factsandwich(_settings())
    assert app.store is not None
    views = narratives.list_narratives(
        app.store, app.claims, since=since.date() if since else None, language=language, examples=0
    )
    if fmt == "json":
        click.echo(json.dumps([v.to_dict() for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        click.echo("no narratives yet (scan some feeds: flagged posts that repeat a pair form them)")
    for v in views:
        sources = ", ".join(f"{s} ({n})" for s, n in v.info.sources[:3])
        click.echo(
            f"{v.info.id}  {v.info.size:>4} post(s)  {v.info.claim_id or '-':30} "
            f"{_day(v.info.first_seen)} .. {_day(v.info.last_seen)}  {v.sparkline}\n"
            f"    {v.myth[:100]}\n    in {sources}"
        )


@narratives_group.command("emerging")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_since_option
@_language_option
def narratives_emerging(fmt: str, since: Any, language: str | None) -> None:
    """Each cluster of flagged posts that match no pair: id, size, typical posts, keywords, guids."""
    store = _store()
    views = narratives.emerging(store, since=since.date() if since else None, language=language)
    if fmt == "json":
        click.echo(json.dumps([v.to_dict() for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        click.echo("no emerging myths (at least 3 similar flagged posts that match no pair make one)")
    for v in views:
        click.echo(f"{v.info.id}  {v.info.size} post(s)  keywords: {', '.join(v.info.keywords) or '-'}")
        for sentence in v.info.typical:
            click.echo(f"    - {sentence[:160]}")


@narratives_group.command("update")
def narratives_update() -> None:
    """Put flagged posts that no update has seen yet into narratives (scans and the monitor do this)."""
    app = _open_app()
    summary = app.update_narratives()
    assert summary is not None
    click.echo(
        f"{summary.taken} post(s): {summary.joined} joined a narrative, {summary.opened} opened one, "
        f"{summary.emerging} without a confident pair ({summary.clustered} joined an emerging myth)"
        + ("; emerging myths formed again" if summary.rebuilt else "")
        + f"; {summary.answered} answered by an attached response; {summary.seconds:.2f} s"
    )


def _day(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "?"


@main.group("alerts")
def alerts_group() -> None:
    """The morning digest and immediate alerts (surges, urgent local posts) by e-mail or webhook."""


def _print_sent(sent: list[alerting.Sent]) -> None:
    for s in sent:
        where = f"{s.subscription.channel} {s.subscription.target}"
        if s.delivery is None:
            click.echo(f"{s.alert_id} -> {where}: {s.skipped}")
        elif s.delivery.ok:
            click.echo(f"{s.alert_id} -> {where}: sent")
        else:
            click.echo(f"{s.alert_id} -> {where}: FAILED {s.delivery.error}", err=True)


@alerts_group.command("digest")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="The day to report (default: yesterday).")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--send", "send_it", is_flag=True, help="Send it to everyone subscribed to the digest.")
@click.option("--dry-run", is_flag=True, help="With --send: list the recipients, send nothing.")
def alerts_digest(day: Any, language: str, send_it: bool, dry_run: bool) -> None:
    """Print the morning digest (and with --send, deliver it; each day's digest once per recipient)."""
    config = alerting.AlertConfig.from_env()
    app = make_factsandwich(_settings())
    assert app.store is not None
    now = utcnow()
    when = day.date() if day else (trends.local_day(now, config.timezone) - datetime.timedelta(days=1))
    digest = alerting.build_digest(app.store, app.claims, when, config)
    message = alerts.render_digest(digest, language)
    click.echo(f"Subject: {message.subject}\n\n{message.body}", nl=False)
    if send_it or dry_run:
        sent = alerting.send(app.store, digest, config, now=now, dry_run=dry_run)
        _print_sent(sent)
        if not sent:
            click.echo("nobody is subscribed to the digest (see 'factsandwich alerts add')", err=True)
        if any(s.delivery is not None and not s.delivery.ok for s in sent):
            sys.exit(1)


@alerts_group.command("send")
@click.option("--dry-run", is_flag=True, help="List the alerts and recipients, send nothing.")
def alerts_send(dry_run: bool) -> None:
    """Send today's immediate alerts: surging narratives and myths, urgent local posts (places from
    FACTSANDWICH_PLACES). An alert already sent to a recipient is not sent again."""
    config = alerting.AlertConfig.from_env()
    app = make_factsandwich(_settings())
    assert app.store is not None
    sent = alerting.send_immediate(app.store, app.claims, config, now=utcnow(), dry_run=dry_run)
    _print_sent(sent)
    click.echo(f"{len(sent)} delivery(ies)", err=True)
    if any(s.delivery is not None and not s.delivery.ok for s in sent):
        sys.exit(1)


@alerts_group.command("add")
@click.option("--person", default="", help="A user name (alerts for this person).")
@click.option("--role", type=click.Choice(ROLES), help="Or a role (alerts for whoever holds it).")
@click.option("--email", help="Send by e-mail to this address.")
@click.option("--webhook", help="Or POST signed JSON to this http(s) URL.")
@click.option("--kinds", default="digest,surge,local", show_default=True, help="Comma-separated.")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
def alerts_add(
    person: str, role: str | None, email: str | None, webhook: str | None, kinds: str, language: str
) -> None:
    """Subscribe a person or a role to alerts by e-mail or webhook."""
    target = alerting.add_subscription(
        _store(), person=person, role=role or "", email=email, webhook=webhook, kinds=kinds, language=language
    )
    click.echo(f"subscribed {person or role} to {kinds} by {target}")


@alerts_group.command("log")
def alerts_log() -> None:
    """The latest deliveries (every alert is recorded)."""
    for e in narratives_store.alert_log(_store(), 50):
        state = "sent" if e.ok else ("sending" if e.ok is None else f"failed: {e.error}")
        click.echo(
            f"{e.sent_at:%Y-%m-%d %H:%M}  {e.kind:7} {e.channel:8} {e.target}  {state}  {e.subject[:60]}"
        )


@main.group("api-token")
def api_token() -> None:
    """Read-only API tokens for partner organisations (admins)."""


@api_token.command("create")
@click.argument("name")
def api_token_create(name: str) -> None:
    """Create a token for the partner NAME; it is shown once (only its hash is kept)."""
    token = partners.create_token(_store(), name)
    click.echo(token)
    click.echo(f"token for {name} created; give it to them now, it is not shown again", err=True)


@api_token.command("list")
def api_token_list() -> None:
    """The partners' tokens (names and dates; never the tokens)."""
    for t in partners.list_tokens(_store()):
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        click.echo(f"{t.name:40} created {t.created_at:%Y-%m-%d}  {state}")


@api_token.command("revoke")
@click.argument("name")
def api_token_revoke(name: str) -> None:
    """Revoke the partner NAME's token at once."""
    partners.revoke_token(_store(), name)
    click.echo(f"revoked the token of {name}")


def _store() -> Store:
    return Store(_settings().effective_database_url)


def _serve(host: str, port: int) -> None:
    import waitress

    from webui import create_app

    app = create_app()
    app.extensions["factsandwich"].load_models()  # before the first request, not during it
    click.echo(f"serving the web UI on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    waitress.serve(app, host=host, port=port, threads=8, ident="factsandwich")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the web UI with waitress (a production WSGI server)."""
    _serve(host, port)


@main.command()
@click.option("--serve/--no-serve", "serve_ui", default=True, help="Serve the web UI after the scan.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def demo(serve_ui: bool, port: int) -> None:
    """Scan the bundled demo feeds and posts, print the flagged items with drafts, serve the web UI."""
    demo_dir = PROJECT_ROOT / "demo"
    app = _open_app()
    summary = ScanSummary()
    buffer = io.StringIO()
    report = _Report(buffer, "table")
    for record in app.scan([str(demo_dir / "feeds"), str(demo_dir / "posts.jsonl")], summary=summary):
        if record.analysis.flagged:
            report.write(record)
    click.echo(buffer.getvalue(), nl=False)
    _print_summary(summary, app)
    click.echo(  # the README's other commands then open this data, models and demo account
        f"to go on with this data: export FACTSANDWICH_DATA_DIR={app.settings.data_dir}", err=True
    )
    if serve_ui:
        assert app.store is not None
        password = _demo_account(app.store, app.settings.data_dir)
        click.echo(f"log in as 'demo' (all roles) with the password {password}", err=True)
        _serve("127.0.0.1", port)


def _demo_account(store: Store, data_dir: Path) -> str:
    """A demo user with every role; its random password is kept (0600) in the data directory."""
    path = data_dir / "demo-password"
    if not path.is_file():
        atomic_write_text(path, secrets.token_urlsafe(12), mode=0o600)
    password = path.read_text().strip()
    with contextlib.suppress(AccountError):  # the account exists from an earlier demo run
        add_user(store, "demo", list(ROLES), password, "de", actor="demo")
    return password


if __name__ == "__main__":
    main()
