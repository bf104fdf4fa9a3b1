"""Assignment and notes in the database: an item or a response given to a person of the office, and
the comments on an item. Each change runs in one transaction with its audit record (`Database.act`,
the form's one-time token: a double click assigns or comments once). Who may be assigned is
triage.py's rule (`triage.assign_item`, `triage.assign_response`); this module checks it under the
row lock against the stored people."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factsandwich.dates import utcnow
from factsandwich.errors import NotFound, ReviewError
from factsandwich.storage.database import Database
from factsandwich.storage.tables import ItemNoteRow, ItemRow, ResponseRow, UserRow
from factsandwich.storage.values import ItemNote, value_of

MAX_NOTE_CHARS = 5_000


def office_people(store: Database, roles: Collection[str]) -> list[str]:
    """The names of the active people holding one of `roles` (admins hold all), by name."""
    with store.session() as session:
        return _people(session, roles)


def _people(session: Session, roles: Collection[str]) -> list[str]:
    rows = session.execute(
        select(UserRow.name, UserRow.roles).where(UserRow.disabled_at.is_(None)).order_by(UserRow.name)
    ).all()
    return [name for name, held in rows if set(held.split(",")) & {*roles, "admin"}]


def assign(
    store: Database,
    kind: str,
    object_id: int,
    person: str | None,
    roles: Collection[str],
    actor: str,
    form_token: str,
) -> bool:
    """Assign the item or response (`kind`) to `person` (None: to nobody), who must be an active
    person holding one of `roles`; False for a form token seen before. Audited as
    `<kind>.assigned` with the previous and the new assignee."""
    table: type[ItemRow] | type[ResponseRow] = ItemRow if kind == "item" else ResponseRow
    with store.act(
        form_token,
        table,
        object_id,
        actor=actor,
        lock=True,
        missing=lambda: NotFound(f"{kind} {object_id} not found"),
    ) as action:
        if action is None:
            return False
        if person is not None and person not in _people(action.session, roles):
            raise ReviewError(f"{person!r} is no active person who can take this {kind}")
        before = action.row.assigned_to
        action.row.assigned_to = person
        action.audit(f"{kind}.assigned", kind, object_id, {"assigned_to": before}, {"assigned_to": person})
        return True


def add_note(store: Database, item_id: int, text: str, actor: str, form_token: str) -> ItemNote | None:
    """A comment on an item by `actor`, audited with its text; None for a form token seen before.
    ReviewError for an empty or overlong note (the view keeps the text to correct)."""
    text = text.strip()
    if not text:
        raise ReviewError("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise ReviewError(f"the note is longer than {MAX_NOTE_CHARS} characters")
    with store.act(
        form_token,
        ItemRow,
        item_id,
        actor=actor,
        missing=lambda: NotFound(f"item {item_id} not found"),
    ) as action:
        if action is None:
            return None
        note = ItemNoteRow(item_id=item_id, author=actor, text=text, at=utcnow())
        action.session.add(note)
        action.session.flush()
        action.audit("item.note", "item", item_id, None, {"note": note.id, "text": text})
        return value_of(ItemNote, note)


def item_notes(store: Database, item_id: int) -> list[ItemNote]:
    """The comments on an item, oldest first (a conversation)."""
    with store.session() as session:
        rows = session.scalars(
            select(ItemNoteRow).where(ItemNoteRow.item_id == item_id).order_by(ItemNoteRow.at, ItemNoteRow.id)
        )
        return [value_of(ItemNote, row) for row in rows]


def note_counts(store: Database, item_ids: Collection[int]) -> dict[int, int]:
    """How many notes each of `item_ids` has (the queue marks commented items)."""
    if not item_ids:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(ItemNoteRow.item_id, func.count(ItemNoteRow.id))
            .where(ItemNoteRow.item_id.in_(list(item_ids)))
            .group_by(ItemNoteRow.item_id)
        ).all()
    return {int(item_id): int(count) for item_id, count in rows}
