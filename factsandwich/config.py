"""Settings from the environment, in one place, so the CLI, the web UI and the tests agree."""

from __future__ import annotations

import os
import re
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path

from factsandwich.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENCODER_CHOICES = ("fusion", "use", "minilm")


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "factsandwich"


def _env_float(name: str, default: float) -> float:
    value = _env_optional_float(name)
    return default if value is None else value


def _env_optional_float(name: str) -> float | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


@dataclass(frozen=True)
class Settings:
    """Everything configurable. `Settings.from_env()` reads FACTSANDWICH_* variables."""

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    claims_dir: Path = PROJECT_ROOT / "claims_db"
    templates_dir: Path = PROJECT_ROOT / "templates"
    encoder: str = "fusion"
    # Thresholds on a candidate's calibrated confidence (matcher.py: P that the text repeats the
    # pair). An unflagged item shows candidates from `suggest_threshold` (a flagged one always its
    # best three), a draft needs it; `confident_threshold` marks a candidate as more likely right
    # than not (docs/benchmarks.md shows how often each band is right on real posts).
    suggest_threshold: float = 0.25
    confident_threshold: float = 0.5
    # An item is flagged when the classifier's calibrated myth probability reaches this; None means
    # the threshold tuned on the classifier's dev split.
    flag_threshold: float | None = None
    # An external fact-check is attached to an item from this score (the re-ranker's probability, or
    # the dense cosine before `factchecks tune`; see docs/benchmarks.md).
    fact_check_threshold: float = 0.5
    # Session cookies only over HTTPS (and http://localhost). Turn off only for a plain-HTTP trial.
    secure_cookies: bool = True
    # The country whose audience the office addresses (ISO 3166 alpha-2). Pairs whose facts hold
    # elsewhere are drafted with a warning; drafts in the office's language name the scope only when
    # it differs from this country (see sandwich.py).
    office_country: str = "DE"
    # Who publishes the office's answers (ClaimReview `author`), its web address, and the address of a
    # published answer: a template with {id} (the response's number), e.g.
    # https://www.musterstadt.de/faktencheck/{id}; empty: ClaimReview then carries no `url`.
    organisation: str = ""
    organisation_url: str = ""
    response_url: str = ""
    # The office's place names (FACTSANDWICH_PLACES, comma-separated: town, districts, streets): an
    # item naming one is local, which raises its priority (triage.priority) and its alerts.
    places: tuple[str, ...] = ()
    # The two-person rule: whoever drafted or last edited a response cannot be its only approver.
    two_person_approval: bool = False
    # The office's time zone (FACTSANDWICH_TIMEZONE): stored times are UTC; the web UI shows them, and
    # the dashboard counts its weeks, in this zone.
    timezone: str = "Europe/Berlin"
    max_feed_bytes: int = 10 * 1024 * 1024
    fetch_timeout_s: float = 20.0
    max_text_chars: int = 20_000

    def __post_init__(self) -> None:
        if self.encoder not in ENCODER_CHOICES:
            raise ConfigError(f"unknown encoder {self.encoder!r}; choose one of {', '.join(ENCODER_CHOICES)}")
        if not 0.0 <= self.suggest_threshold <= self.confident_threshold <= 1.0:
            raise ConfigError("thresholds must satisfy 0 <= suggest <= confident <= 1")
        if not 0.0 <= self.fact_check_threshold <= 1.0:
            raise ConfigError("the fact-check threshold must lie between 0 and 1")
        if not re.fullmatch(r"[A-Z]{2}", self.office_country):
            raise ConfigError(
                f"FACTSANDWICH_OFFICE_COUNTRY={self.office_country!r} is not a two-letter country code"
                " such as DE"
            )
        for name, value in (("ORGANISATION_URL", self.organisation_url), ("RESPONSE_URL", self.response_url)):
            if value and not re.match(r"https?://[^/\s]+", value):
                raise ConfigError(f"FACTSANDWICH_{name}={value!r} is not an http(s) address")
        if self.response_url and "{id}" not in self.response_url:
            raise ConfigError("FACTSANDWICH_RESPONSE_URL must contain {id} (the response's number)")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"FACTSANDWICH_TIMEZONE={self.timezone!r} is not a time zone (e.g. Europe/Berlin)"
            ) from None

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The office's time zone as an object."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'factsandwich.db'}"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def training_dir(self) -> Path:
        return Path(__file__).resolve().parent / "training_data"

    @property
    def corpus_dir(self) -> Path:
        """The real-language labelled corpus (corpus/README.md)."""
        return PROJECT_ROOT / "corpus"

    @property
    def datasets_dir(self) -> Path | None:
        """The shared public datasets that the corpus refers to (FACTSANDWICH_DATASETS_DIR, else
        ../shared/datasets beside the checkout); None where there are none (a user's machine)."""
        path = Path(
            os.environ.get("FACTSANDWICH_DATASETS_DIR") or PROJECT_ROOT.parent / "shared" / "datasets"
        )
        return path if path.is_dir() else None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        settings = cls(
            data_dir=Path(env["FACTSANDWICH_DATA_DIR"])
            if "FACTSANDWICH_DATA_DIR" in env
            else _default_data_dir(),
            database_url=env.get("FACTSANDWICH_DATABASE_URL", ""),
            claims_dir=Path(env.get("FACTSANDWICH_CLAIMS_DIR", PROJECT_ROOT / "claims_db")),
            templates_dir=Path(env.get("FACTSANDWICH_TEMPLATES_DIR", PROJECT_ROOT / "templates")),
            encoder=env.get("FACTSANDWICH_ENCODER", "fusion"),
            suggest_threshold=_env_float("FACTSANDWICH_SUGGEST_THRESHOLD", 0.25),
            confident_threshold=_env_float("FACTSANDWICH_CONFIDENT_THRESHOLD", 0.5),
            flag_threshold=_env_optional_float("FACTSANDWICH_FLAG_THRESHOLD"),
            fact_check_threshold=_env_float("FACTSANDWICH_FACT_CHECK_THRESHOLD", 0.5),
            secure_cookies=env.get("FACTSANDWICH_SECURE_COOKIES", "1").strip().lower()
            not in ("0", "false", "no"),
            office_country=env.get("FACTSANDWICH_OFFICE_COUNTRY", "DE").strip().upper() or "DE",
            organisation=env.get("FACTSANDWICH_ORGANISATION", "").strip(),
            organisation_url=env.get("FACTSANDWICH_ORGANISATION_URL", "").strip(),
            response_url=env.get("FACTSANDWICH_RESPONSE_URL", "").strip(),
            two_person_approval=env.get("FACTSANDWICH_TWO_PERSON_APPROVAL", "0").strip().lower()
            in ("1", "true", "yes"),
            places=tuple(p.strip() for p in env.get("FACTSANDWICH_PLACES", "").split(",") if p.strip()),
            timezone=env.get("FACTSANDWICH_TIMEZONE", "").strip() or "Europe/Berlin",
        )
        return replace(settings, **overrides) if overrides else settings  # type: ignore[arg-type]
