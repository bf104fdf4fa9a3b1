"""What a scan needs of the store, and a store that keeps nothing (`scan --no-store`): the scan is
written once, over this interface, instead of testing for a missing store at every step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from factsandwich.storage.values import FeedState


class ScanStore(Protocol):
    """The scan's view of the store: feed validators, known items, storing a batch."""

    def get_feed_state(self, url: str) -> FeedState | None: ...

    def record_feed_success(self, url: str, etag: str | None, last_modified: str | None) -> None: ...

    def record_feed_error(self, url: str, message: str) -> None: ...

    def find_known(self, keys: Sequence[tuple[str, str | None, str | None, str]]) -> set[int]: ...

    def store_items(self, rows: Sequence[Mapping[str, Any]]) -> list[bool]: ...


class NullStore:
    """Remembers nothing: every feed is fetched in full, every item is new, storing keeps nothing but
    counts every item as this scan's."""

    def get_feed_state(self, url: str) -> FeedState | None:
        return None

    def record_feed_success(self, url: str, etag: str | None, last_modified: str | None) -> None:
        pass

    def record_feed_error(self, url: str, message: str) -> None:
        pass

    def find_known(self, keys: Sequence[tuple[str, str | None, str | None, str]]) -> set[int]:
        return set()

    def store_items(self, rows: Sequence[Mapping[str, Any]]) -> list[bool]:
        return [True] * len(rows)
