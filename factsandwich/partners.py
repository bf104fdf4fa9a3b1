"""Allies (issue 14): read-only API tokens for partner organisations, kept as SHA-256 hashes, and the
rate limit that every web worker shares (a fixed window counted in the database).

A token is shown once, when an admin creates it (`factsandwich api-token create NAME`); the database
holds only its hash, so a copy of the database does not let anyone in. Each request counts against
its token's window; beyond FACTSANDWICH_API_RATE_LIMIT requests a minute (60) the API answers 429.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from dataclasses import dataclass

from factsandwich.errors import AccountError, ConfigError
from factsandwich.storage import narratives as stored
from factsandwich.storage.database import Database
from factsandwich.storage.values import ApiToken

PREFIX = "fsw_"
WINDOW = dt.timedelta(minutes=1)
_NAME = re.compile(r"^[\w .@-]{1,200}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rate_limit(env: dict[str, str] | None = None) -> int:
    raw = (os.environ if env is None else env).get("FACTSANDWICH_API_RATE_LIMIT", "") or "60"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"FACTSANDWICH_API_RATE_LIMIT={raw!r} is not a whole number") from None
    if value < 1:
        raise ConfigError("FACTSANDWICH_API_RATE_LIMIT must be at least 1 (requests a minute)")
    return value


def create_token(store: Database, name: str, actor: str = "cli") -> str:
    """A new token for the partner `name` (shown once; only its hash is stored)."""
    name = name.strip()
    if not _NAME.match(name):
        raise AccountError("a partner name has 1 to 200 letters, digits, spaces, '.', '@', '-' or '_'")
    token = PREFIX + secrets.token_urlsafe(32)
    if not stored.add_api_token(store, name, hash_token(token), actor):
        raise AccountError(f"the partner {name!r} has a token already (revoke it first: api-token revoke)")
    return token


def revoke_token(store: Database, name: str, actor: str = "cli") -> None:
    if not stored.revoke_api_token(store, name, actor):
        raise AccountError(f"no active token for {name!r} (see 'factsandwich api-token list')")


def list_tokens(store: Database) -> list[ApiToken]:
    return stored.list_api_tokens(store)


@dataclass(frozen=True)
class Access:
    """The outcome of a request's token: the partner, or why not (401 unknown, 429 too many)."""

    partner: str | None
    status: int
    remaining: int = 0


def authorise(store: Database, token: str, *, now: dt.datetime, limit: int) -> Access:
    if not token.startswith(PREFIX) or len(token) > 200:
        return Access(None, 401)
    used = stored.use_api_token(store, hash_token(token), now, WINDOW, limit)
    if used is None:
        return Access(None, 401)
    partner, count = used
    if count > limit:
        return Access(partner, 429)
    return Access(partner, 200, limit - count)
