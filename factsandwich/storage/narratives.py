"""Narratives, emerging myths, alerts and partner tokens in the database (issue 14).

The narrative update runs in one transaction that first takes the row lock of the update's state row
(`narrative_state`, name "watermark"): two monitors or a monitor and a scan that update at once wait
for each other, so neither loses the other's joins (a narrative's centroid sum and size are read and
written under that lock). Membership rows are keyed by the item, inserted with ON CONFLICT DO NOTHING,
so an item is in one narrative even if two processes reach it. Every person's action (split, merge,
answer once, bulk dismiss) goes through `Database.act` with its form token, version check and audit
record. What leaves this module is a frozen value (values.py) or a clustering value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from factsandwich.clustering import PERMUTATIONS, EmergingCluster, Narrative
from factsandwich.dates import utcnow
from factsandwich.errors import EditConflict, NotFound, ReviewError
from factsandwich.storage.database import Database, insert_ignoring_conflicts
from factsandwich.storage.office import (
    DISMISS_REASONS,
    LIVE_RESPONSE_STATUSES,
    OPEN_STATUSES,
    _check_state,
    _decide,
)
from factsandwich.storage.tables import (
    AlertSentRow,
    AlertSubscriptionRow,
    ApiTokenRow,
    EmergingClusterRow,
    EmergingItemRow,
    ItemRow,
    NarrativeItemRow,
    NarrativeRow,
    NarrativeStateRow,
    ResponseRow,
    ResponseVersionRow,
    UserRow,
)
from factsandwich.storage.values import (
    AlertLogEntry,
    AlertTarget,
    ApiToken,
    EmergingInfo,
    Item,
    NarrativeInfo,
    Response,
    value_of,
)

WATERMARK = "watermark"
EMERGING_MARK = "emerging_rebuilt_at"  # the highest item id the last emerging rebuild saw
EMERGING_REBUILT_AT = "emerging_rebuilt_epoch"  # when it ran (seconds since 1970, UTC)
EMERGING_WINDOW = "emerging_window_items"  # how many window items it clustered
_EPOCH = dt.datetime(1970, 1, 1)
# Items with ids up to this far below the watermark are looked at again: an item that a slower
# process committed after a faster one moved the watermark past its id is still taken.
LOOKBACK = 2000


def _moment(row: ItemRow) -> dt.datetime:
    return row.published_at or row.fetched_at


def _vector_bytes(vector: np.ndarray[Any, Any]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _narrative_of(row: NarrativeRow, item_ids: tuple[str, ...]) -> Narrative:
    return Narrative(
        id=row.id,
        claim_id=row.claim_id,
        item_ids=item_ids,
        vector_sum=np.frombuffer(row.vector_sum, dtype=np.float32).copy(),
        signatures=np.frombuffer(row.signatures, dtype=np.uint32).reshape(-1, PERMUTATIONS).copy(),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        sources=tuple((str(name), int(n)) for name, n in row.sources),
    )


def _cluster_of(row: EmergingClusterRow, item_ids: tuple[str, ...]) -> EmergingCluster:
    return EmergingCluster(
        id=row.id,
        item_ids=item_ids,
        vector_sum=np.frombuffer(row.vector_sum, dtype=np.float32).copy(),
        typical=tuple(row.typical),
        keywords=tuple(row.keywords),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        sources=tuple((str(name), int(n)) for name, n in row.sources),
    )


def _members(session: Session, narrative_ids: Sequence[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {n: [] for n in narrative_ids}
    for start in range(0, len(narrative_ids), 500):
        chunk = list(narrative_ids[start : start + 500])
        rows = session.execute(
            select(NarrativeItemRow.narrative_id, NarrativeItemRow.item_id)
            .where(NarrativeItemRow.narrative_id.in_(chunk))
            .order_by(NarrativeItemRow.item_id)
        )
        for narrative_id, item_id in rows:
            found[narrative_id].append(int(item_id))
    return found


def _cluster_members(session: Session, cluster_ids: Sequence[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {c: [] for c in cluster_ids}
    rows = session.execute(
        select(EmergingItemRow.cluster_id, EmergingItemRow.item_id)
        .where(EmergingItemRow.cluster_id.in_(list(cluster_ids)))
        .order_by(EmergingItemRow.item_id)
    )
    for cluster_id, item_id in rows:
        found[str(cluster_id)].append(int(item_id))
    return found


def _answer(
    session: Session, store: Database, source: ResponseRow, item_ids: Sequence[int], actor: str
) -> int:
    """Attach a copy of the approved response `source` to each open item without a live response
    (answer once); each item is handled, audited as `response.reuse`. Returns how many were answered."""
    answered = 0
    for item_id in item_ids:
        item = session.get(ItemRow, item_id, with_for_update=True)
        if item is None or item.status not in ("new", "misinformation", "disinformation"):
            continue
        live = session.scalar(
            select(ResponseRow.id).where(
                ResponseRow.item_id == item_id, ResponseRow.status.in_(LIVE_RESPONSE_STATUSES)
            )
        )
        if live is not None:
            continue
        now = utcnow()
        copy = ResponseRow(
            item_id=item_id,
            claim_id=source.claim_id,
            language=source.language,
            channel=source.channel,
            tone=source.tone,
            status="approved",
            parts=dict(source.parts),
            text=source.text,
            version=1,
            approved_by=actor,
            approved_at=now,
            updated_at=now,
        )
        session.add(copy)
        session.flush()
        session.add(
            ResponseVersionRow(
                response_id=copy.id, version=1, parts=dict(source.parts), text=source.text, editor=actor
            )
        )
        _decide(store, session, item, actor, "handled")
        store.audit(
            session,
            actor,
            "response.reuse",
            "response",
            copy.id,
            None,
            {"item_id": item_id, "from": source.id},
        )
        answered += 1
    return answered


# -- the incremental update ------------------------------------------------------------------------


def watermark(store: Database) -> int:
    with store.session() as session:
        row = session.get(NarrativeStateRow, WATERMARK)
        return int(row.value) if row else 0


def unassigned_flagged(store: Database, *, limit: int = 5000) -> list[Item]:
    """Flagged items above the watermark (minus LOOKBACK) that are in no narrative and not seen by
    the emerging clustering, oldest first."""
    with store.session() as session:
        state = session.get(NarrativeStateRow, WATERMARK)
        since = (state.value if state else 0) - LOOKBACK
        rows = session.scalars(
            select(ItemRow)
            .where(
                ItemRow.flagged.is_(True),
                ItemRow.id > since,
                ~select(NarrativeItemRow.item_id).where(NarrativeItemRow.item_id == ItemRow.id).exists(),
                ~select(EmergingItemRow.item_id).where(EmergingItemRow.item_id == ItemRow.id).exists(),
            )
            .order_by(ItemRow.id)
            .limit(limit)
        ).all()
        return [value_of(Item, row) for row in rows]


class NarrativeWork:
    """The narrative update inside its locked transaction (`narrative_work`)."""

    def __init__(self, store: Database, session: Session) -> None:
        self.store, self.session = store, session
        self._members: list[dict[str, Any]] = []

    def flush_members(self) -> None:
        """Insert the memberships collected by `save_narrative` (one executemany, not one statement a
        narrative: building an INSERT costs milliseconds); done before the transaction commits."""
        if self._members:
            self.session.execute(insert_ignoring_conflicts(self.session, NarrativeItemRow), self._members)
            self._members = []

    def still_unassigned(self, item_ids: Sequence[int]) -> set[int]:
        ids = list(item_ids)
        taken = set(
            self.session.scalars(select(NarrativeItemRow.item_id).where(NarrativeItemRow.item_id.in_(ids)))
        ) | set(self.session.scalars(select(EmergingItemRow.item_id).where(EmergingItemRow.item_id.in_(ids))))
        return set(ids) - taken

    def narratives_of(self, claim_ids: Sequence[str | None]) -> list[Narrative]:
        """The stored narratives of these claims (None: near-copy narratives without a claim), with
        their members' ids as strings (clustering's item ids)."""
        named = [c for c in claim_ids if c is not None]
        condition: Any = NarrativeRow.claim_id.in_(named)
        if None in claim_ids:
            condition = condition | NarrativeRow.claim_id.is_(None)
        rows = self.session.scalars(select(NarrativeRow).where(condition)).all()
        members = _members(self.session, [r.id for r in rows])
        return [_narrative_of(r, tuple(str(i) for i in members[r.id])) for r in rows]

    def save_narrative(
        self, narrative: Narrative, new_items: Sequence[int], *, language: str, title: str
    ) -> int:
        """Store a narrative as it is now and its new members; returns how many of them were
        answered by the narrative's attached response."""
        row = self.session.get(NarrativeRow, narrative.id)
        if row is None:
            row = NarrativeRow(
                id=narrative.id, claim_id=narrative.claim_id, language=language, title=title, version=1
            )
            self.session.add(row)
        row.size = narrative.size
        row.first_seen, row.last_seen = narrative.first_seen, narrative.last_seen
        row.sources = [list(s) for s in narrative.sources]
        row.vector_sum = _vector_bytes(narrative.vector_sum)
        row.signatures = np.asarray(narrative.signatures, dtype=np.uint32).tobytes()
        row.updated_at = utcnow()
        self._members += [{"item_id": i, "narrative_id": narrative.id} for i in new_items]
        if row.response_id is not None:
            source = self.session.get(ResponseRow, row.response_id)
            if source is not None and source.status == "approved":
                return _answer(self.session, self.store, source, new_items, f"answer-once:{narrative.id}")
        return 0

    def emerging_clusters(self) -> list[EmergingCluster]:
        rows = self.session.scalars(select(EmergingClusterRow)).all()
        members = _cluster_members(self.session, [r.id for r in rows])
        return [_cluster_of(r, tuple(str(i) for i in members[r.id])) for r in rows]

    def save_cluster(self, cluster: EmergingCluster, new_items: Sequence[int], *, language: str = "") -> None:
        row = self.session.get(EmergingClusterRow, cluster.id)
        if row is None:
            row = EmergingClusterRow(id=cluster.id, language=language)
            self.session.add(row)
        row.size = cluster.size
        row.typical, row.keywords = list(cluster.typical), list(cluster.keywords)
        row.first_seen, row.last_seen = cluster.first_seen, cluster.last_seen
        row.sources = [list(s) for s in cluster.sources]
        row.vector_sum = _vector_bytes(cluster.vector_sum)
        row.updated_at = utcnow()
        self.session.flush()
        if new_items:
            self.session.execute(
                update(EmergingItemRow)
                .where(EmergingItemRow.item_id.in_(list(new_items)))
                .values(cluster_id=cluster.id)
            )

    def add_emerging_items(self, item_ids: Sequence[int]) -> None:
        """Unmatched flagged items, in no cluster yet."""
        if item_ids:
            self.session.execute(
                insert_ignoring_conflicts(self.session, EmergingItemRow),
                [{"item_id": i, "cluster_id": None} for i in item_ids],
            )

    def replace_clusters(self, clusters: Sequence[EmergingCluster], languages: dict[str, str]) -> None:
        """After a rebuild: the clusters are these, every other window item is in none."""
        keep = [c.id for c in clusters]
        # only the clustered rows (those of the window, about): not every unmatched item ever seen
        self.session.execute(
            update(EmergingItemRow).where(EmergingItemRow.cluster_id.is_not(None)).values(cluster_id=None)
        )
        self.session.execute(delete(EmergingClusterRow).where(EmergingClusterRow.id.not_in(keep)))
        for cluster in clusters:
            self.save_cluster(
                cluster, [int(i) for i in cluster.item_ids], language=languages.get(cluster.id, "")
            )

    def state(self, name: str) -> int:
        row = self.session.get(NarrativeStateRow, name)
        return int(row.value) if row else 0

    def set_moment(self, name: str, moment: dt.datetime) -> None:
        self.set_state(name, int((moment - _EPOCH).total_seconds()))

    def set_state(self, name: str, value: int) -> None:
        row = self.session.get(NarrativeStateRow, name)
        if row is None:
            self.session.add(NarrativeStateRow(name=name, value=value))
        else:
            row.value = value


@contextmanager
def narrative_work(store: Database) -> Iterator[NarrativeWork]:
    """One transaction holding the update's lock: the state row is written first (SQLite takes its
    write lock there, PostgreSQL the row lock), so concurrent updates run one after the other."""
    with store.session() as session:
        session.execute(insert_ignoring_conflicts(session, NarrativeStateRow).values(name=WATERMARK, value=0))
        session.execute(
            update(NarrativeStateRow)
            .where(NarrativeStateRow.name == WATERMARK)
            .values(value=NarrativeStateRow.value)
        )
        session.get(NarrativeStateRow, WATERMARK, with_for_update=True)
        work = NarrativeWork(store, session)
        yield work
        work.flush_members()


def window_emerging_items(store: Database, since: dt.datetime) -> list[Item]:
    """The unmatched flagged items seen by the emerging clustering since `since` (by publication, else
    first sight), oldest first."""
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    with store.session() as session:
        rows = session.scalars(
            select(ItemRow)
            .join(EmergingItemRow, EmergingItemRow.item_id == ItemRow.id)
            .where(moment >= since, ItemRow.status != "dismissed")
            .order_by(ItemRow.id)
        ).all()
        return [value_of(Item, row) for row in rows]


def latest_emerging_moment(store: Database) -> dt.datetime | None:
    """The newest publication (else first-sight) moment of the items the emerging clustering saw."""
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    with store.session() as session:
        return session.scalar(
            select(func.max(moment)).join(EmergingItemRow, EmergingItemRow.item_id == ItemRow.id)
        )


def pending_emerging(store: Database, above: int) -> int:
    """Unclustered emerging items with an id above `above` (new since the last rebuild)."""
    with store.session() as session:
        return int(
            session.scalar(
                select(func.count(EmergingItemRow.item_id)).where(
                    EmergingItemRow.cluster_id.is_(None), EmergingItemRow.item_id > above
                )
            )
            or 0
        )


def last_emerging_rebuild(store: Database) -> tuple[dt.datetime | None, int]:
    """When the last emerging rebuild ran (None: never) and how many window items it clustered."""
    with store.session() as session:
        moment = session.get(NarrativeStateRow, EMERGING_REBUILT_AT)
        window = session.get(NarrativeStateRow, EMERGING_WINDOW)
        return (
            _EPOCH + dt.timedelta(seconds=moment.value) if moment else None,
            int(window.value) if window else 0,
        )


def emerging_state(store: Database) -> int:
    with store.session() as session:
        row = session.get(NarrativeStateRow, EMERGING_MARK)
        return int(row.value) if row else 0


# -- reading ---------------------------------------------------------------------------------------


def _info(row: NarrativeRow, item_ids: list[int]) -> NarrativeInfo:
    return NarrativeInfo(
        id=row.id,
        claim_id=row.claim_id,
        language=row.language,
        title=row.title,
        size=row.size,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        sources=tuple((str(n), int(c)) for n, c in row.sources),
        response_id=row.response_id,
        version=row.version,
        item_ids=tuple(item_ids),
    )


def list_narratives(
    store: Database,
    *,
    since: dt.datetime | None = None,
    language: str | None = None,
    claim_id: str | None = None,
    limit: int | None = None,
) -> list[NarrativeInfo]:
    """Narratives seen last since `since`, largest first (then most recent)."""
    conditions: list[Any] = []
    if since is not None:
        conditions.append(NarrativeRow.last_seen >= since)
    if language:
        conditions.append(NarrativeRow.language == language)
    if claim_id:
        conditions.append(NarrativeRow.claim_id == claim_id)
    with store.session() as session:
        query = (
            select(NarrativeRow)
            .where(*conditions)
            .order_by(NarrativeRow.size.desc(), NarrativeRow.last_seen.desc(), NarrativeRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = session.scalars(query).all()
        members = _members(session, [r.id for r in rows])
        return [_info(r, members[r.id]) for r in rows]


def get_narrative(store: Database, narrative_id: str) -> NarrativeInfo | None:
    with store.session() as session:
        row = session.get(NarrativeRow, narrative_id)
        return _info(row, _members(session, [row.id])[row.id]) if row else None


def narrative_of_item(store: Database, item_id: int) -> str | None:
    with store.session() as session:
        return session.scalar(
            select(NarrativeItemRow.narrative_id).where(NarrativeItemRow.item_id == item_id)
        )


def items_by_id(store: Database, item_ids: Sequence[int]) -> list[Item]:
    found: list[Item] = []
    with store.session() as session:
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start : start + 500])
            found += [
                value_of(Item, r) for r in session.scalars(select(ItemRow).where(ItemRow.id.in_(chunk)))
            ]
    return sorted(found, key=lambda i: i.id)


def member_moments(
    store: Database, narrative_ids: Sequence[str], since: dt.datetime
) -> list[tuple[str, dt.datetime]]:
    """(narrative id, publication or first-sight moment) of the members seen since `since`."""
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    with store.session() as session:
        query = (
            select(NarrativeItemRow.narrative_id, moment)
            .join(ItemRow, ItemRow.id == NarrativeItemRow.item_id)
            .where(moment >= since)
        )
        if narrative_ids:
            query = query.where(NarrativeItemRow.narrative_id.in_(list(narrative_ids)))
        return [(str(n), m) for n, m in session.execute(query)]


def claim_moments(store: Database, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(top claim, moment) of flagged items with a claim since `since`: the myths' own counts."""
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    with store.session() as session:
        rows = session.execute(
            select(ItemRow.top_claim, moment).where(
                ItemRow.flagged.is_(True), ItemRow.top_claim.is_not(None), moment >= since
            )
        )
        return [(str(c), m) for c, m in rows]


def first_flagged_moment(store: Database) -> dt.datetime | None:
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    with store.session() as session:
        return session.scalar(select(func.min(moment)).where(ItemRow.flagged.is_(True)))


def list_emerging(
    store: Database, *, since: dt.datetime | None = None, language: str | None = None
) -> list[EmergingInfo]:
    conditions: list[Any] = []
    if since is not None:
        conditions.append(EmergingClusterRow.last_seen >= since)
    if language:
        conditions.append(EmergingClusterRow.language == language)
    with store.session() as session:
        rows = session.scalars(
            select(EmergingClusterRow)
            .where(*conditions)
            .order_by(EmergingClusterRow.size.desc(), EmergingClusterRow.id)
        ).all()
        members = _cluster_members(session, [r.id for r in rows])
        return [
            EmergingInfo(
                id=r.id,
                language=r.language,
                size=r.size,
                typical=tuple(r.typical),
                keywords=tuple(r.keywords),
                first_seen=r.first_seen,
                last_seen=r.last_seen,
                sources=tuple((str(n), int(c)) for n, c in r.sources),
                item_ids=tuple(members[r.id]),
            )
            for r in rows
        ]


def approved_responses(store: Database, claim_id: str | None = None, limit: int = 1000) -> list[Response]:
    with store.session() as session:
        query = select(ResponseRow).where(ResponseRow.status == "approved")
        if claim_id:
            query = query.where(ResponseRow.claim_id == claim_id)
        rows = session.scalars(
            query.order_by(ResponseRow.approved_at.desc(), ResponseRow.id.desc()).limit(limit)
        )
        return [value_of(Response, r) for r in rows]


def open_counts(store: Database, narrative_ids: Sequence[str]) -> dict[str, int]:
    with store.session() as session:
        rows = session.execute(
            select(NarrativeItemRow.narrative_id, func.count(ItemRow.id))
            .join(ItemRow, ItemRow.id == NarrativeItemRow.item_id)
            .where(NarrativeItemRow.narrative_id.in_(list(narrative_ids)), ItemRow.status.in_(OPEN_STATUSES))
            .group_by(NarrativeItemRow.narrative_id)
        )
        return {str(n): int(c) for n, c in rows}


# -- a person's actions on narratives --------------------------------------------------------------


def _narrative_missing(narrative_id: str) -> NotFound:
    return NotFound(f"narrative {narrative_id} not found")


def _stale(row: NarrativeRow) -> EditConflict:
    return EditConflict(f"the narrative was changed meanwhile (now version {row.version}); reload it")


def replace_narratives(
    store: Database,
    form_token: str,
    actor: str,
    action: str,
    expected_version: int | None,
    keep: Narrative,
    others: Sequence[Narrative],
    removed: Sequence[str] = (),
) -> bool:
    """A split (keep + the new one in `others`) or a merge (keep, `removed` gone): the rows and
    memberships as the clustering values say, in one audited transaction. False for a repeated form."""
    with store.act(
        form_token,
        NarrativeRow,
        keep.id,
        actor=actor,
        lock=True,
        missing=lambda: _narrative_missing(keep.id),
        expected_version=expected_version,
        conflict=_stale,
    ) as act:
        if act is None:
            return False
        session, row = act.session, act.row
        before = {"size": row.size, "version": row.version}
        for gone in removed:
            other = session.get(NarrativeRow, gone, with_for_update=True)
            if other is None:
                raise _narrative_missing(gone)
            if row.response_id is None and other.response_id is not None:
                row.response_id = other.response_id
            session.delete(other)
        work = NarrativeWork(store, session)
        for narrative in (keep, *others):
            ids = [int(i) for i in narrative.item_ids]
            session.execute(delete(NarrativeItemRow).where(NarrativeItemRow.item_id.in_(ids)))
            work.save_narrative(narrative, ids, language=row.language, title=row.title)
        work.flush_members()
        row.version += 1
        act.audit(
            f"narrative.{action}",
            "narrative",
            keep.id,
            before,
            {
                "size": keep.size,
                "version": row.version,
                "others": [{"id": n.id, "size": n.size} for n in others],
                "removed": list(removed),
            },
        )
        return True


def attach_response(
    store: Database, narrative_id: str, response_id: int, actor: str, form_token: str
) -> int | None:
    """Answer once: the approved response answers every open item of the narrative now, and each new
    one as it joins. Returns how many items were answered now (None for a repeated form)."""
    with store.act(
        form_token,
        NarrativeRow,
        narrative_id,
        actor=actor,
        lock=True,
        missing=lambda: _narrative_missing(narrative_id),
    ) as act:
        if act is None:
            return None
        session, row = act.session, act.row
        source = session.get(ResponseRow, response_id)
        if source is None or source.status != "approved":
            raise ReviewError(f"response {response_id} is not an approved response")
        before = {"response_id": row.response_id}
        row.response_id, row.version = source.id, row.version + 1
        members = _members(session, [row.id])[row.id]
        answered = _answer(session, store, source, members, actor)
        act.audit(
            "narrative.answer_once",
            "narrative",
            row.id,
            before,
            {"response_id": source.id, "answered": answered},
        )
        return answered


def dismiss_narrative(store: Database, narrative_id: str, reason: str, actor: str, form_token: str) -> int:
    """Dismiss every open item of the narrative (items handled or decided meanwhile stay)."""
    if reason not in DISMISS_REASONS:
        raise ReviewError(f"unknown reason {reason!r}; choose one of {', '.join(DISMISS_REASONS)}")
    with store.act(
        form_token,
        NarrativeRow,
        narrative_id,
        actor=actor,
        lock=True,
        missing=lambda: _narrative_missing(narrative_id),
    ) as act:
        if act is None:
            return 0
        session = act.session
        changed = 0
        for item_id in _members(session, [narrative_id])[narrative_id]:
            item = session.get(ItemRow, item_id, with_for_update=True)
            if item is None or item.status not in OPEN_STATUSES or item.status == "responding":
                continue
            _check_state(item, None, False)
            _decide(store, session, item, actor, "dismissed", reason)
            changed += 1
        act.audit(
            "narrative.dismiss", "narrative", narrative_id, None, {"reason": reason, "dismissed": changed}
        )
        return changed


# -- alerts ----------------------------------------------------------------------------------------


def add_alert_target(
    store: Database,
    person: str,
    role: str,
    channel: str,
    target: str,
    kinds: Sequence[str],
    language: str,
    actor: str,
) -> bool:
    with store.session() as session:
        statement = insert_ignoring_conflicts(session, AlertSubscriptionRow).values(
            person=person,
            role=role,
            channel=channel,
            target=target,
            kinds=",".join(kinds),
            language=language,
            created_at=utcnow(),
        )
        added = session.execute(statement.returning(AlertSubscriptionRow.id)).first() is not None
        if added:
            store.audit(
                session,
                actor,
                "alerts.subscribe",
                "alert_subscription",
                f"{person or role}:{channel}",
                None,
                {"target": target, "kinds": list(kinds)},
            )
        return added


def remove_alert_target(store: Database, target_id: int, person: str | None, actor: str) -> bool:
    """Remove a subscription (`person`: only one of theirs; None: any, for admins)."""
    with store.session() as session:
        row = session.get(AlertSubscriptionRow, target_id)
        if row is None or (person is not None and row.person != person):
            return False
        session.delete(row)
        store.audit(
            session,
            actor,
            "alerts.unsubscribe",
            "alert_subscription",
            target_id,
            {"target": row.target},
            None,
        )
        return True


def alert_targets(store: Database, person: str | None = None) -> list[AlertTarget]:
    with store.session() as session:
        query = select(AlertSubscriptionRow).order_by(AlertSubscriptionRow.id)
        if person is not None:
            query = query.where(AlertSubscriptionRow.person == person)
        return [
            AlertTarget(
                r.id,
                r.person,
                r.role,
                r.channel,
                r.target,
                tuple(k for k in r.kinds.split(",") if k),
                r.language,
            )
            for r in session.scalars(query)
        ]


def claim_delivery(
    store: Database, alert_id: str, kind: str, key: str, subject: str, channel: str, target: str
) -> int | None:
    """Take the delivery of `alert_id` to (channel, target): its log row id, or None when another
    process (or an earlier run) took it already and did not fail, so each alert reaches each target
    once; a failed delivery is taken again (retried) by the next run, by one process only."""
    with store.session() as session:
        statement = insert_ignoring_conflicts(session, AlertSentRow).values(
            alert_id=alert_id,
            kind=kind,
            key=key[:200],
            subject=subject,
            channel=channel,
            target=target,
            ok=None,
            status="",
            error="",
            sent_at=utcnow(),
        )
        row = session.execute(statement.returning(AlertSentRow.id)).first()
        if row is None:  # there is one: take it again only if it failed (compare-and-set)
            row = session.execute(
                update(AlertSentRow)
                .where(
                    AlertSentRow.alert_id == alert_id,
                    AlertSentRow.channel == channel,
                    AlertSentRow.target == target,
                    AlertSentRow.ok.is_(False),
                )
                .values(ok=None, status="", error="", sent_at=utcnow())
                .returning(AlertSentRow.id)
            ).first()
        return int(row[0]) if row is not None else None


def record_delivery(store: Database, log_id: int, ok: bool, status: str, error: str) -> None:
    with store.session() as session:
        session.execute(
            update(AlertSentRow)
            .where(AlertSentRow.id == log_id)
            .values(ok=ok, status=status, error=error[:1000])
        )


def alert_log(store: Database, limit: int = 200) -> list[AlertLogEntry]:
    with store.session() as session:
        rows = session.scalars(select(AlertSentRow).order_by(AlertSentRow.id.desc()).limit(limit))
        return [value_of(AlertLogEntry, r) for r in rows]


# -- partner API tokens ----------------------------------------------------------------------------


def add_api_token(store: Database, name: str, token_hash: str, actor: str) -> bool:
    with store.session() as session:
        statement = insert_ignoring_conflicts(session, ApiTokenRow).values(
            name=name, token_hash=token_hash, created_by=actor, created_at=utcnow(), window_count=0
        )
        added = session.execute(statement.returning(ApiTokenRow.id)).first() is not None
        if added:
            store.audit(session, actor, "api_token.create", "api_token", name, None, None)
        return added


def revoke_api_token(store: Database, name: str, actor: str) -> bool:
    with store.session() as session:
        row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.name == name))
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        store.audit(session, actor, "api_token.revoke", "api_token", name, None, None)
        return True


def list_api_tokens(store: Database) -> list[ApiToken]:
    with store.session() as session:
        rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name))
        return [ApiToken(r.id, r.name, r.created_by, r.created_at, r.revoked_at) for r in rows]


def use_api_token(
    store: Database, token_hash: str, now: dt.datetime, window: dt.timedelta, limit: int
) -> tuple[str, int] | None:
    """Count a request against the token's fixed window (in the database, so the limit holds across
    workers): (partner name, requests in this window) or None for an unknown or revoked token."""
    with store.session() as session:
        row = session.scalar(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash).with_for_update()
        )
        if row is None or row.revoked_at is not None:
            return None
        if row.window_start is None or now - row.window_start >= window:
            row.window_start, row.window_count = now, 1
        else:
            row.window_count += 1
        return row.name, int(row.window_count)


def flagged_between(
    store: Database, start: dt.datetime, end: dt.datetime, *, limit: int = 5000
) -> list[Item]:
    """Flagged items published (else first seen) in [start, end), newest first (the digest's day, the
    local alerts)."""
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    with store.session() as session:
        rows = session.scalars(
            select(ItemRow)
            .where(ItemRow.flagged.is_(True), moment >= start, moment < end)
            .order_by(ItemRow.id.desc())
            .limit(limit)
        ).all()
        return [value_of(Item, row) for row in rows]


def open_flagged(store: Database) -> int:
    with store.session() as session:
        return int(
            session.scalar(
                select(func.count(ItemRow.id)).where(
                    ItemRow.flagged.is_(True), ItemRow.status.in_(OPEN_STATUSES)
                )
            )
            or 0
        )


def people_roles(store: Database) -> dict[str, frozenset[str]]:
    """Every account's roles (alert routing: a role's subscription reaches whoever holds it)."""
    with store.session() as session:
        rows = session.execute(select(UserRow.name, UserRow.roles))
        return {name: frozenset(r for r in roles.split(",") if r) for name, roles in rows}
