"""One exception hierarchy: errors a user can cause carry a one-line message (what, where, how to fix).
Every error the library raises on purpose is defined here; the CLI and the web UI catch FactsandwichError."""

from __future__ import annotations

from collections.abc import Sequence


class FactsandwichError(Exception):
    """Base of every error the CLI and web UI report as a message rather than a traceback."""


class ClaimsError(FactsandwichError):
    """The claims database is malformed (file, field, what is wrong)."""


class SourceError(FactsandwichError):
    """A feed or posts file cannot be read or parsed."""


class ModelMissingError(FactsandwichError):
    """An encoder's packaged model is not installed."""


class ConfigError(FactsandwichError):
    """A setting has a value that cannot be used."""


class FactCheckError(FactsandwichError):
    """An external fact-check file cannot be imported as a whole (file and what is wrong)."""


class EditConflict(FactsandwichError):
    """The pair or response was changed by someone else since the editor opened it."""


class AccountError(FactsandwichError):
    """A user name, role or password that cannot be used."""


class AccountRefused(AccountError):
    """An account change a rule refuses (the last admin, a wrong current password, a taken name):
    `key` names its message in the web UI's words and `params` fill it in; str() is the English one."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


class LoginThrottled(FactsandwichError):
    """Too many failed logins for this name or address."""


class SubscriptionError(FactsandwichError):
    """A feed URL, interval or OPML file that cannot be used."""


class ReviewError(FactsandwichError):
    """An action that does not fit the item's or response's state."""


class NotFound(ReviewError):
    """The item or response an action names does not exist (the web UI answers 404)."""


class ChecksFailed(ReviewError):
    """Approval refused: the response still has problems (length, structure, the pair's status)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "the response cannot be approved while its checks report problems: " + "; ".join(problems)
        )


class PartTooLong(ReviewError):
    """A part longer than any answer needs (a paste gone wrong): nothing is saved."""

    def __init__(self, part: str, length: int, limit: int) -> None:
        self.part, self.length = part, length
        super().__init__(f"the part {part!r} has {length} characters; at most {limit} are kept")


class ResponseExists(ReviewError):
    """The item has a live response already: a second one is not drafted."""

    def __init__(self, response_id: int) -> None:
        self.response_id = response_id
        super().__init__(
            f"this item has a response already (#{response_id}); open it instead of drafting another"
        )


class StateChanged(ReviewError):
    """The item was decided meanwhile (by someone else, another tab): the action needs a confirmation."""

    def __init__(self, item_id: int, seen: str, current: str) -> None:
        self.item_id, self.seen, self.current = item_id, seen, current
        super().__init__(
            f"item {item_id} is {current} now (the page showed {seen}); confirm to act on it anyway"
        )


class ResponseStateError(ReviewError):
    """A lifecycle step that the response's state does not allow (e.g. editing an approved response)."""

    def __init__(self, response_id: int, status: str, step: str) -> None:
        self.response_id, self.status, self.step = response_id, status, step
        super().__init__(f"response {response_id} is {status.replace('_', ' ')}: it cannot be {step} now")


class SecondApproverNeeded(ReviewError):
    """The two-person rule: the person who drafted or last edited a response cannot approve it alone."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        super().__init__(
            f"{actor} drafted or last edited this response; under the two-person rule someone else "
            "approves it"
        )


class LifecycleInputError(ReviewError):
    """A rejection without a reason, a posting without a platform or with an address that is not
    http(s): `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)
