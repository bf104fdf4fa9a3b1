"""Many posts, one answer (issue 14): the office's narratives and emerging myths over the store.

`update_narratives` is incremental and runs after every scan (and so in every monitor round):

  1. take the flagged items that no update has seen (above the stored watermark, less a look-back for
     items a slower process committed late; `storage.narratives.unassigned_flagged`);
  2. read their vectors from the encoder, whose cache holds them since the scan embedded them (no
     model runs for a stored item);
  3. in one locked transaction: an item whose best candidate is *confident* joins a narrative of that
     claim (`clustering.assign`: near-copy, else close to the centroid) or opens one; only the
     narratives of the items' claims are loaded, nothing is recomputed. A narrative with an attached
     approved response answers its new members at once (answer once). The other flagged items (no
     confident pair: a myth nobody has written a pair for, or one that only resembles a known one)
     join the closest emerging cluster (`clustering.assign_emerging`) or wait in none;
  4. when at least `min_size` items have waited since the last rebuild, the emerging clusters of the
     window are formed again (`clustering.find_emerging`, ids carried over by `carry_ids`). The
     window ends at the newest such item (or now, if earlier), so an archive scanned late still
     shows its clusters. A rebuild costs about a millisecond per window item
     (bench/narratives_store.py), so when the last window held more than SMALL_WINDOW items it runs
     at most every REBUILD_EVERY, not every time three posts waited: in a busy fortnight a new
     myth's cluster appears within that time of its third post (a waiting post that is close to a
     cluster joins it at once in any case).

The views (`list_narratives`, `emerging`), the person's actions (split, merge, answer once, bulk
dismiss) and "repeat" (the approved responses per myth and the one to reuse) are the calls that the
CLI, the web UI and the partner API share.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from factsandwich import clustering, trends
from factsandwich.claims import ClaimSet
from factsandwich.dates import utcnow
from factsandwich.embed import Encoder, Vectors
from factsandwich.errors import NotFound, ReviewError
from factsandwich.social import for_models
from factsandwich.storage import narratives as stored
from factsandwich.storage.database import Database
from factsandwich.storage.values import EmergingInfo, Item, NarrativeInfo, Response

SPARK_DAYS = 30
NARRATIVE_PARAMS = clustering.NarrativeParams()
EMERGING_PARAMS = clustering.EmergingParams()
EXAMPLES = 3
REBUILD_EVERY = dt.timedelta(minutes=15)
SMALL_WINDOW = 1000


# -- helpers ---------------------------------------------------------------------------------------


def item_text(item: Item) -> str:
    """What the scan embedded for the item (pipeline.embed_text of its feed item)."""
    return f"{item.title}\n{item.text}".strip() if item.title else item.text


def item_moment(item: Item) -> dt.datetime:
    return item.published_at or item.fetched_at


def item_key(item: Item) -> str:
    """What partners and the CLI call an item: its guid, else its link, else `item:<id>`."""
    return item.guid or item.link or f"item:{item.id}"


def confident_claim(item: Item) -> str | None:
    """The pair the item repeats for narratives: its best candidate when that one is confident."""
    top = item.matches[0] if item.matches else None
    return str(top["claim_id"]) if top and top.get("confident") else None


def vectors_of(encoder: Encoder, items: Sequence[Item]) -> Vectors:
    """The items' vectors as the scan computed them (the encoder's cache answers; a text not cached is
    encoded once)."""
    if not items:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    vectors: Vectors = encoder.encode([for_models(item_text(i)) for i in items])
    return vectors


def _cluster_items(
    items: Sequence[Item], vectors: Vectors, *, with_claim: bool
) -> list[clustering.ClusterItem]:
    return [
        clustering.ClusterItem(
            id=str(item.id),
            text=item_text(item),
            vector=vector,
            claim_id=confident_claim(item) if with_claim else None,
            source=item.source,
            published=item_moment(item),
        )
        for item, vector in zip(items, vectors, strict=True)
    ]


def _majority(values: Sequence[str]) -> str:
    return Counter(values).most_common(1)[0][0] if values else ""


# -- the incremental update ------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateSummary:
    """What one update did."""

    taken: int = 0
    joined: int = 0
    opened: int = 0
    emerging: int = 0
    clustered: int = 0
    answered: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


def update_narratives(
    store: Database,
    encoder: Encoder,
    *,
    now: dt.datetime | None = None,
    params: clustering.NarrativeParams = NARRATIVE_PARAMS,
    emerging_params: clustering.EmergingParams = EMERGING_PARAMS,
    limit: int = 5000,
) -> UpdateSummary:
    """Put the flagged items that no update has seen into narratives or emerging clusters (module
    docstring); cost grows with the new items and the narratives of their claims, not the store."""
    started = time.perf_counter()
    now = now or utcnow()
    items = stored.unassigned_flagged(store, limit=limit)
    if not items:
        rebuilt = _rebuild_if_due(store, encoder, now, emerging_params)
        return UpdateSummary(rebuilt=rebuilt, seconds=time.perf_counter() - started)
    vectors = vectors_of(encoder, items)
    by_id = {item.id: (item, vector) for item, vector in zip(items, vectors, strict=True)}
    joined = opened = emerging_count = clustered = answered = 0
    with stored.narrative_work(store) as work:
        fresh = work.still_unassigned(list(by_id))
        chosen = [by_id[i] for i in sorted(fresh)]
        matched = [(i, v) for i, v in chosen if confident_claim(i) is not None]
        unmatched = [(i, v) for i, v in chosen if confident_claim(i) is None]
        # narratives: only those of the new items' claims are loaded
        claim_ids = sorted({c for i, _ in matched if (c := confident_claim(i)) is not None})
        by_claim: dict[str | None, list[clustering.Narrative]] = {c: [] for c in claim_ids}
        for narrative in work.narratives_of(list(claim_ids)) if claim_ids else []:
            by_claim.setdefault(narrative.claim_id, []).append(narrative)
        changed: dict[str, tuple[clustering.Narrative, list[int], str, str]] = {}
        ordered = clustering._time_order(
            _cluster_items([i for i, _ in matched], np.asarray([v for _, v in matched]), with_claim=True)
        )
        items_by_key = {str(i.id): i for i, _ in matched}
        for cluster_item in ordered:
            own = by_claim[cluster_item.claim_id]
            placed = clustering.assign(cluster_item, own, params)
            narrative = placed.narrative
            if placed.created:
                own.append(narrative)
                opened += 1
            else:
                own[:] = [narrative if n.id == narrative.id else n for n in own]
                joined += 1
            item = items_by_key[cluster_item.id]
            _, new_members, language, title = changed.get(
                narrative.id, (narrative, [], item.language, " ".join(item_text(item).split())[:300])
            )
            changed[narrative.id] = (narrative, [*new_members, item.id], language, title)
        for narrative, new_members, language, title in changed.values():
            answered += work.save_narrative(narrative, new_members, language=language, title=title)
        # emerging myths: unmatched flagged items join the closest cluster, or wait
        work.add_emerging_items([i.id for i, _ in unmatched])
        emerging_count = len(unmatched)
        if unmatched:
            clusters = work.emerging_clusters()
            for cluster_item in _cluster_items(
                [i for i, _ in unmatched], np.asarray([v for _, v in unmatched]), with_claim=False
            ):
                placed_e = clustering.assign_emerging(cluster_item, clusters, emerging_params)
                if placed_e.cluster is not None:
                    clusters = [placed_e.cluster if c.id == placed_e.cluster.id else c for c in clusters]
                    work.save_cluster(placed_e.cluster, [int(cluster_item.id)])
                    clustered += 1
        work.set_state(stored.WATERMARK, max(work.state(stored.WATERMARK), max(by_id)))
    rebuilt = _rebuild_if_due(store, encoder, now, emerging_params)
    return UpdateSummary(
        len(items),
        joined,
        opened,
        emerging_count,
        clustered,
        answered,
        rebuilt,
        time.perf_counter() - started,
    )


def _rebuild_if_due(
    store: Database, encoder: Encoder, now: dt.datetime, params: clustering.EmergingParams
) -> bool:
    """Rebuild the emerging clusters when `min_size` items waited, and, after a rebuild of more than
    SMALL_WINDOW items, only once that rebuild is REBUILD_EVERY old (module docstring, step 4)."""
    last, window = stored.last_emerging_rebuild(store)
    recent = last is not None and dt.timedelta(0) <= now - last < REBUILD_EVERY
    if recent and window > SMALL_WINDOW:
        return False
    if stored.pending_emerging(store, stored.emerging_state(store)) < params.min_size:
        return False
    rebuild_emerging(store, encoder, now=now, params=params)
    return True


def rebuild_emerging(
    store: Database,
    encoder: Encoder,
    *,
    now: dt.datetime | None = None,
    params: clustering.EmergingParams = EMERGING_PARAMS,
) -> int:
    """Form the emerging clusters of the window again (ids carried over); returns how many there are."""
    now = now or utcnow()
    window = params.window or dt.timedelta(days=3650)
    latest = stored.latest_emerging_moment(store)
    end = min(now, latest) if latest is not None else now
    items = [i for i in stored.window_emerging_items(store, end - window) if item_moment(i) <= end]
    vectors = vectors_of(encoder, items)
    result = clustering.find_emerging(
        _cluster_items(items, vectors, with_claim=False), now=end + dt.timedelta(seconds=1), params=params
    )
    language_of = {str(i.id): i.language for i in items}
    with stored.narrative_work(store) as work:
        clusters = clustering.carry_ids(result.clusters, work.emerging_clusters())
        languages = {c.id: _majority([language_of[m] for m in c.item_ids]) for c in clusters}
        work.replace_clusters(clusters, languages)
        work.set_state(stored.EMERGING_MARK, max((i.id for i in items), default=0))
        work.set_moment(stored.EMERGING_REBUILT_AT, now)
        work.set_state(stored.EMERGING_WINDOW, len(items))
    return len(clusters)


# -- views -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeView:
    """A narrative card: the myth in words, its counts, sources, days and example posts."""

    info: NarrativeInfo
    myth: str
    guids: tuple[str, ...]
    series: tuple[int, ...]
    examples: tuple[Item, ...] = ()
    open_items: int = 0
    links: tuple[str, ...] = ()

    @property
    def sparkline(self) -> str:
        return trends.sparkline(self.series)

    def to_dict(self) -> dict[str, Any]:
        info = self.info
        return {
            "id": info.id,
            "claim_id": info.claim_id,
            "myth": self.myth,
            "language": info.language,
            "count": info.size,
            "open": self.open_items,
            "first_seen": _iso(info.first_seen),
            "last_seen": _iso(info.last_seen),
            "sources": [{"source": s, "count": n} for s, n in info.sources],
            "series": list(self.series),
            "response_id": info.response_id,
            "guids": list(self.guids),
        }


@dataclass(frozen=True)
class EmergingView:
    info: EmergingInfo
    guids: tuple[str, ...]
    items: tuple[Item, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        info = self.info
        return {
            "id": info.id,
            "size": info.size,
            "language": info.language,
            "typical": list(info.typical),
            "keywords": list(info.keywords),
            "first_seen": _iso(info.first_seen),
            "last_seen": _iso(info.last_seen),
            "sources": [{"source": s, "count": n} for s, n in info.sources],
            "guids": list(self.guids),
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def myth_in_words(info: NarrativeInfo, claims: ClaimSet | None) -> str:
    """The claim's canonical myth in the narrative's language, else its first post."""
    claim = claims.get(info.claim_id) if claims is not None and info.claim_id else None
    if claim is not None:
        language = info.language if info.language in claim.myths else next(iter(claim.myths))
        return claim.canonical_myth(language)
    return info.title


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _views(
    store: Database, infos: Sequence[NarrativeInfo], claims: ClaimSet | None, today: dt.date, examples: int
) -> list[NarrativeView]:
    ids = [n.id for n in infos]
    start = _day_start(today - dt.timedelta(days=SPARK_DAYS - 1))
    per_day = trends.counts_by_day(stored.member_moments(store, ids, start)) if ids else {}
    items = {i.id: i for i in stored.items_by_id(store, [i for n in infos for i in n.item_ids])}
    opened = stored.open_counts(store, ids) if ids else {}
    views = []
    for info in infos:
        members = [items[i] for i in info.item_ids if i in items]
        views.append(
            NarrativeView(
                info=info,
                myth=myth_in_words(info, claims),
                guids=tuple(item_key(i) for i in members),
                series=trends.daily_series(per_day.get(info.id, {}), end=today, days=SPARK_DAYS),
                examples=tuple(sorted(members, key=lambda i: -i.priority)[:examples]),
                open_items=opened.get(info.id, 0),
                links=tuple(i.link for i in members if i.link),
            )
        )
    return views


def list_narratives(
    store: Database,
    claims: ClaimSet | None = None,
    *,
    since: dt.date | dt.datetime | None = None,
    language: str | None = None,
    claim_id: str | None = None,
    limit: int | None = None,
    today: dt.date | None = None,
    examples: int = EXAMPLES,
) -> list[NarrativeView]:
    """Narratives seen since `since` (their last post), in `language`, largest first."""
    start = _day_start(since) if isinstance(since, dt.date) and not isinstance(since, dt.datetime) else since
    infos = stored.list_narratives(store, since=start, language=language, claim_id=claim_id, limit=limit)
    return _views(store, infos, claims, today or utcnow().date(), examples)


def get_narrative(
    store: Database, narrative_id: str, claims: ClaimSet | None = None, *, today: dt.date | None = None
) -> NarrativeView:
    info = stored.get_narrative(store, narrative_id)
    if info is None:
        raise NotFound(f"narrative {narrative_id} not found")
    return _views(store, [info], claims, today or utcnow().date(), examples=len(info.item_ids))[0]


def emerging(
    store: Database, *, since: dt.date | dt.datetime | None = None, language: str | None = None
) -> list[EmergingView]:
    """The emerging-myth clusters (largest first) with their posts."""
    start = _day_start(since) if isinstance(since, dt.date) and not isinstance(since, dt.datetime) else since
    infos = stored.list_emerging(store, since=start, language=language)
    items = {i.id: i for i in stored.items_by_id(store, [i for c in infos for i in c.item_ids])}
    return [
        EmergingView(
            info,
            tuple(item_key(items[i]) for i in info.item_ids if i in items),
            tuple(items[i] for i in info.item_ids if i in items),
        )
        for info in infos
    ]


def get_emerging(store: Database, cluster_id: str) -> EmergingView:
    for view in emerging(store):
        if view.info.id == cluster_id:
            return view
    raise NotFound(f"emerging myth {cluster_id} not found")


def pair_draft(view: EmergingView) -> dict[str, str]:
    """The claim editor's form pre-filled from an emerging myth: its posts as the myth's wordings (by
    language), its keywords as topics; facts and sources stay empty for the editor."""
    by_language: dict[str, list[str]] = {"de": [], "en": []}
    for item in view.items:
        text = " ".join(item_text(item).split())
        if item.language in by_language and text not in by_language[item.language]:
            by_language[item.language].append(text)
    return {
        "id": "",
        "status": "needs_review",
        "reviewed": utcnow().date().isoformat(),
        "topics": ", ".join(view.info.keywords[:5]),
        "myths_de": "\n".join(by_language["de"][:20]),
        "myths_en": "\n".join(by_language["en"][:20]),
    }


# -- a person's actions ----------------------------------------------------------------------------


def _members(store: Database, encoder: Encoder, info: NarrativeInfo) -> list[clustering.ClusterItem]:
    items = stored.items_by_id(store, list(info.item_ids))
    cluster_items = _cluster_items(items, vectors_of(encoder, items), with_claim=False)
    return [dataclasses.replace(c, claim_id=info.claim_id) for c in cluster_items]


def split(
    store: Database,
    encoder: Encoder,
    narrative_id: str,
    move: Collection[int],
    actor: str,
    form_token: str,
    *,
    expected_version: int | None = None,
) -> str | None:
    """Move the items `move` out of the narrative into a new one (a comms officer's split); returns the
    new narrative's id (None for a repeated form)."""
    info = stored.get_narrative(store, narrative_id)
    if info is None:
        raise NotFound(f"narrative {narrative_id} not found")
    members = _members(store, encoder, info)
    narrative = clustering.narrative_from_items(members, claim_id=info.claim_id, keep_id=info.id)
    try:
        staying, moved = clustering.split_narrative(narrative, members, {str(i) for i in move})
    except ValueError as exc:
        raise ReviewError(str(exc)) from None
    if moved.id == staying.id or stored.get_narrative(store, moved.id) is not None:
        # the moved posts include the one that named the narrative: name the new one by its members
        moved = dataclasses.replace(
            moved, id=clustering.narrative_id("split|" + ",".join(sorted(moved.item_ids)))
        )
    done = stored.replace_narratives(store, form_token, actor, "split", expected_version, staying, [moved])
    return moved.id if done else None


def merge(
    store: Database,
    encoder: Encoder,
    target_id: str,
    other_id: str,
    actor: str,
    form_token: str,
    *,
    expected_version: int | None = None,
) -> bool:
    """`other`'s items join `target` (a comms officer's merge); `other` is gone."""
    if target_id == other_id:
        raise ReviewError("a narrative cannot be merged with itself")
    infos = [stored.get_narrative(store, n) for n in (target_id, other_id)]
    if infos[0] is None or infos[1] is None:
        raise NotFound(f"narrative {target_id if infos[0] is None else other_id} not found")
    target = clustering.narrative_from_items(
        _members(store, encoder, infos[0]), claim_id=infos[0].claim_id, keep_id=target_id
    )
    other = clustering.narrative_from_items(
        _members(store, encoder, infos[1]), claim_id=infos[1].claim_id, keep_id=other_id
    )
    merged = clustering.merge_narratives(target, other)
    return stored.replace_narratives(
        store, form_token, actor, "merge", expected_version, merged, [], removed=[other_id]
    )


def answer_once(
    store: Database, narrative_id: str, response_id: int, actor: str, form_token: str
) -> int | None:
    """Attach an approved response to every open post of the narrative, and to new ones as they
    arrive; returns how many posts it answered now."""
    return stored.attach_response(store, narrative_id, response_id, actor, form_token)


def dismiss(store: Database, narrative_id: str, reason: str, actor: str, form_token: str) -> int:
    """Bulk dismiss: every open post of the narrative that nobody is answering."""
    return stored.dismiss_narrative(store, narrative_id, reason, actor, form_token)


# -- repeat ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repeat:
    """An approved text for a myth, how often it was posted (approved for an item), and when last."""

    response_id: int
    text: str
    language: str
    channel: str
    posted: int
    last_approved: dt.datetime | None


def repeat(store: Database, claim_id: str) -> tuple[list[Repeat], Repeat | None]:
    """The approved responses to a myth so far (one per distinct text, most posted first) and the one
    to reuse when it comes back: the most posted, the newest on a tie."""
    groups: dict[tuple[str, str], list[Response]] = {}
    for response in stored.approved_responses(store, claim_id):
        groups.setdefault((response.language, response.text), []).append(response)
    entries = [
        Repeat(
            rs[0].id,
            text,
            language,
            rs[0].channel,
            len(rs),
            max((r.approved_at for r in rs if r.approved_at), default=None),
        )
        for (language, text), rs in groups.items()
    ]
    entries.sort(key=lambda r: (-r.posted, -(r.last_approved or dt.datetime.min).timestamp(), r.response_id))
    return entries, (entries[0] if entries else None)


# -- export for allies -----------------------------------------------------------------------------


def export_record(view: NarrativeView, response: Response | None) -> dict[str, Any]:
    """What a partner organisation gets of a narrative: the myth, counts, example links, the answer."""
    return {
        **view.to_dict(),
        "example_links": list(view.links[:20]),
        "approved_response": (
            {
                "id": response.id,
                "text": response.text,
                "language": response.language,
                "channel": response.channel,
            }
            if response is not None and response.status == "approved"
            else None
        ),
    }


EXPORT_FIELDS = (
    "id",
    "claim_id",
    "myth",
    "count",
    "first_seen",
    "last_seen",
    "sources",
    "example_links",
    "approved_response",
)


def export_csv(records: Sequence[dict[str, Any]]) -> str:
    """The export records as CSV (sources and links joined; cells that a spreadsheet would run as a
    formula get a leading apostrophe)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, EXPORT_FIELDS)
    writer.writeheader()
    for record in records:
        row = {
            **{k: record.get(k) for k in EXPORT_FIELDS},
            "sources": "; ".join(f"{s['source']} ({s['count']})" for s in record["sources"]),
            "example_links": " ".join(record["example_links"]),
            "approved_response": (record["approved_response"] or {}).get("text", ""),
        }
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return "" if value is None else value
