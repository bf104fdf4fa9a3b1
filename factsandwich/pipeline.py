"""The facade that the CLI, the web UI, the benchmarks and the tests share, and the scan pipeline.

scan(sources):
  1. read every source (HTTP with the stored ETag/Last-Modified, files, posts); a broken source is
     reported and skipped, the others go on;
  2. drop empty items (counted) and duplicates by (source, guid), link and content hash, within the
     run and against the store;
  3. per batch: detect the language, embed (cached), match against the claim index, classify, and
     draft a fact sandwich for flagged items that match a claim;
  4. store the batch in one transaction (complete items only), then report it;
  5. when every item is stored, record each feed's new ETag/Last-Modified;
  6. put the new flagged items into narratives and emerging myths (`update_narratives`, incremental).
A crash between batches loses no stored item; a rerun (which, the validators not yet recorded,
fetches the feed in full again) skips stored items and completes the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factsandwich.claims import ClaimSet, load_claims
from factsandwich.classify import Example, MythClassifier
from factsandwich.config import Settings
from factsandwich.dates import published_at
from factsandwich.embed import (
    CachedEncoder,
    EmbeddingCache,
    Encoder,
    MemoryCache,
    SentenceTransformerEncoder,
    make_encoder,
)
from factsandwich.errors import FactCheckError
from factsandwich.fact_check_search import FactCheckMatch, FactCheckSearch
from factsandwich.fact_check_tuning import TunedRetriever, TuningPair, load_tuned, tune, tuned_name
from factsandwich.fact_checks import FactCheckImport, read_fact_checks
from factsandwich.feeds import FeedItem, FetchLimits, SourceResult, expand_sources, is_url, read_source
from factsandwich.index import ClaimMatch
from factsandwich.matcher import ClaimMatcher
from factsandwich.narratives import UpdateSummary, update_narratives
from factsandwich.sandwich import Draft, DraftWriter
from factsandwich.social import for_models
from factsandwich.storage import Store
from factsandwich.storage.claims import claims_fingerprint, load_live_claims, sync_from_directory
from factsandwich.storage.null import NullStore, ScanStore
from factsandwich.text import content_hash, detect_language
from factsandwich.training import labelled_decisions, labelled_posts, train_classifier
from factsandwich.triage import flag_threshold, places_in, priority

BATCH_SIZE = 512


@dataclass(frozen=True)
class Analysis:
    """What the pipeline concludes about one text."""

    language: str
    myth_probability: float
    flagged: bool
    matches: tuple[ClaimMatch, ...]
    draft: Draft | None
    fact_checks: tuple[FactCheckMatch, ...] = ()  # external fact-checks: linked, never drafted from


@dataclass(frozen=True)
class ScanRecord:
    item: FeedItem
    analysis: Analysis

    def to_dict(self) -> dict[str, Any]:
        """The JSONL report record: a stable contract (see README)."""
        item, analysis = self.item, self.analysis
        return {
            "source": item.source,
            "guid": item.guid,
            "title": item.title,
            "link": item.link,
            "published": item.published,
            "language": analysis.language,
            "text": item.text,
            "myth_probability": round(analysis.myth_probability, 4),
            "flagged": analysis.flagged,
            "matches": [
                {
                    "claim_id": m.claim_id,
                    "score": m.score,
                    "matched_text": m.matched_text,
                    "confident": m.confident,
                    "confidence": m.confidence,
                }
                for m in analysis.matches
            ],
            "draft": analysis.draft.to_dict() if analysis.draft else None,
            "fact_checks": [m.to_dict() for m in analysis.fact_checks],
        }


@dataclass
class ScanSummary:
    sources: int = 0
    items_read: int = 0
    processed: int = 0
    flagged: int = 0
    skipped_empty: int = 0
    skipped_duplicate: int = 0
    skipped_stored: int = 0
    not_modified: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "failed": [{"source": s, "error": e} for s, e in self.failed]}


ProgressCallback = Callable[[int, int], None]


class Factsandwich:
    """Claims, encoder, index, classifier, drafts and store, each built lazily and once."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        encoder: Encoder | None = None,
        retriever: Encoder | None = None,
        examples: list[Example] | None = None,
    ) -> None:
        """`encoder` and `retriever` replace the configured models (tests about something else);
        `examples` the labelled posts the models learn from (the benchmark's leave-one-source-out folds)."""
        self.settings = settings
        self._retriever = retriever
        self.store = store
        self.storage: ScanStore = store if store is not None else NullStore()  # what a scan writes to
        self._cache: EmbeddingCache = store if store is not None else MemoryCache()
        self._encoder = encoder
        self._claims: ClaimSet | None = None
        self._claims_fingerprint: tuple[int, int] = (0, 0)
        self._matcher: ClaimMatcher | None = None
        self._classifier: MythClassifier | None = None
        self._fact_check_search: FactCheckSearch | None = None
        self._fact_check_version: tuple[str, str] | None = None
        self._examples: list[Example] | None = examples
        self.drafts = DraftWriter(settings.templates_dir, office_country=settings.office_country)
        self.warnings: list[str] = []
        if store is not None:
            self.sync_claims()  # start-up: the live pairs take in what changed in claims_db/

    @classmethod
    def open(cls, settings: Settings, *, use_store: bool = True) -> Factsandwich:
        return make_factsandwich(settings, use_store=use_store)

    def load_models(self) -> None:
        """Load (or build) the claim index and the classifier now, not during the first request."""
        _ = self.matcher, self.classifier

    def sync_claims(self) -> None:
        """Bring the store's live pairs up to date with claims_db/ (a pair edited in the web UI is
        kept, and the conflict named in `warnings`); the next use of the claims reads them. Called
        once at start-up; never from a getter."""
        if self.store is not None:
            self.warnings.extend(sync_from_directory(self.store, self.settings.claims_dir))
            self.reload_claims()

    # -- parts -----------------------------------------------------------------------------------

    @property
    def claims(self) -> ClaimSet:
        """With a store: its live copy (synchronised at start-up, `sync_claims`); without: claims_db/."""
        if self._claims is None:
            if self.store is None:
                self._claims = load_claims(self.settings.claims_dir)
            else:
                self._claims = load_live_claims(self.store)
                self._claims_fingerprint = claims_fingerprint(self.store)
        return self._claims

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = make_encoder(self.settings.encoder, self._cache)
        return self._encoder

    @property
    def matcher(self) -> ClaimMatcher:
        if self._matcher is None:
            self._matcher = ClaimMatcher.build(
                self.claims, self.encoder, self.examples, self.settings.data_dir / "index"
            )
        return self._matcher

    @property
    def examples(self) -> list[Example]:
        """The labelled posts that the classifier and the claim model learn from: the written posts
        and the real ones of every corpus source but IWG, as the models read them (social.py)."""
        if self._examples is None:
            self._examples = labelled_posts(
                self.settings.training_dir, self.settings.corpus_dir, self.settings.datasets_dir
            )
        return self._examples

    @property
    def classifier_path(self) -> Path:
        safe = "".join(ch if ch.isalnum() else "-" for ch in self.encoder.name)[:80]
        return self.settings.models_dir / f"classifier-{safe}.joblib"

    @property
    def classifier(self) -> MythClassifier:
        """The saved classifier for this encoder, trained first if there is none yet."""
        if self._classifier is None:
            loaded = MythClassifier.load(self.classifier_path)
            self._classifier = loaded if loaded is not None else self.train()
        return self._classifier

    @property
    def fact_check_search(self) -> FactCheckSearch | None:
        """The search over imported external fact-checks, rebuilt when they or the tuning change;
        None while none is imported (then an analysis skips that step and costs nothing more)."""
        if self.store is None:
            return None
        version = (self.store.fact_checks_version(), tuned_name(self.settings.models_dir))
        if version != self._fact_check_version:
            tuned = load_tuned(self.settings.models_dir)
            fact_checks = self.store.load_fact_checks()
            self._fact_check_search = (
                FactCheckSearch.build(
                    fact_checks,
                    self.retriever(tuned),
                    version=version[0],
                    cache_dir=self.settings.data_dir / "index",
                    reranker=tuned.reranker if tuned else None,
                )
                if fact_checks
                else None
            )
            self._fact_check_version = version
        return self._fact_check_search

    def retriever(self, tuned: TunedRetriever | None) -> Encoder:
        """The fact-check search's encoder: the tuned one when there is one, else the packaged MiniLM
        (bfloat16 where the CPU has it)."""
        if self._retriever is not None:
            return self._retriever
        inner = tuned.encoder() if tuned else SentenceTransformerEncoder(bf16=True)
        return CachedEncoder(inner, self._cache)

    def import_fact_checks(
        self, path: Path, collection: str, *, language: str = ""
    ) -> tuple[FactCheckImport, int, int]:
        """Read, store (added, updated) and index a collection file, so the next scan searches it."""
        if self.store is None:
            raise FactCheckError("importing fact-checks needs the store (run without --no-store)")
        read = read_fact_checks(path, collection, language=language)
        added, updated = self.store.upsert_fact_checks(read.fact_checks)
        _ = self.fact_check_search  # encode and index now, not during the next scan
        return read, added, updated

    def tune_fact_checks(self, pairs: list[TuningPair], log: Callable[[str], None]) -> TunedRetriever:
        """Fine-tune the retriever and fit the re-ranker on matched pairs (fact_check_tuning), with the
        labelled posts as posts that check nothing: the kind of text a scan mostly sees."""
        if self.store is None:
            raise FactCheckError("tuning needs the store with the imported fact-checks")
        tuned = tune(
            self.store.load_fact_checks(),
            pairs,
            self.settings.models_dir,
            cache=self._cache,
            unmatched=[e.text for e in self.examples],  # the labelled posts: local news and migration talk
            log=log,
        )
        self._fact_check_version = None
        return tuned

    def reload_claims(self) -> None:
        """Pick up changed claims: the index is rebuilt (or loaded) for the new content hash."""
        self._claims = None
        self._matcher = None

    def refresh_claims(self) -> None:
        """Reload when another process (a second web worker, the CLI) changed the live claims."""
        changed = self.store is not None and claims_fingerprint(self.store) != self._claims_fingerprint
        if self._claims is not None and changed:
            self.reload_claims()

    @property
    def flag_threshold(self) -> float:
        """The myth probability from which an item is flagged (triage.flag_threshold)."""
        return flag_threshold(self.settings.flag_threshold, self.classifier.threshold)

    def health(self) -> dict[str, Any]:
        """Database, claim index and models, each with its state ({"ok": ..., "checks": ...}); a part
        that is down is reported with its error's type, never raised (this exists to say what is wrong)."""
        checks: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            if self.store is None:
                raise RuntimeError("no store")
            self.store.ping()
            checks["database"] = {"ok": True}
        except Exception as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
        try:
            checks["index"] = {
                "ok": True,
                "claims": len(self.claims.active),
                "wordings": self.matcher.index.size,
            }
            checks["models"] = {
                "ok": True,
                "encoder": self.encoder.name,
                "classifier": self.classifier.metadata.get("version"),
            }
        except Exception as exc:
            checks["index"] = checks.get("index", {"ok": False, "error": type(exc).__name__})
            checks["models"] = {"ok": False, "error": type(exc).__name__}
        healthy = all(c["ok"] for c in checks.values())
        return {"ok": healthy, "checks": checks, "seconds": round(time.perf_counter() - started, 3)}

    # -- analysis ----------------------------------------------------------------------------------

    def analyse(
        self,
        texts: Sequence[str],
        *,
        channel: str = "short",
        tone: str = "factual",
        dates: Sequence[str | None] | None = None,
    ) -> list[Analysis]:
        """Language, matches, myth probability, (when flagged) a draft and matching external fact-checks,
        for each text; `dates` (ISO, when known) help to tell a rumour's fact-check from older ones."""
        if not texts:
            return []
        settings = self.settings
        model_texts = [for_models(t) for t in texts]
        vectors = self.encoder.encode(model_texts)
        candidates = self.matcher.match(model_texts, vectors, top=3, confident=settings.confident_threshold)
        classifier = self.classifier
        probabilities = classifier.predict_proba(model_texts, vectors)
        threshold = self.flag_threshold
        # A flagged item shows its three best candidates whatever their confidence (a person decides);
        # any other item only those a person should see.
        all_matches = [
            ranked if p >= threshold else [m for m in ranked if m.confidence >= settings.suggest_threshold]
            for ranked, p in zip(candidates, probabilities, strict=True)
        ]
        search = self.fact_check_search
        external: list[list[FactCheckMatch]] = [[] for _ in texts]
        if search is not None:
            external = search.search(texts, dates=dates, top=3, min_score=settings.fact_check_threshold)
        results = []
        for text, matches, probability, fact_checks in zip(
            texts, all_matches, probabilities, external, strict=True
        ):
            language = detect_language(text)
            flagged = probability >= threshold
            draft = None
            if flagged and matches and matches[0].confidence >= settings.suggest_threshold:
                claim = self.claims.get(matches[0].claim_id)
                if claim is not None:
                    draft = self.drafts.render(claim, language, channel, tone)
            results.append(
                Analysis(language, probability, flagged, tuple(matches), draft, tuple(fact_checks))
            )
        return results

    def check(self, text: str, *, channel: str = "short", tone: str = "factual") -> ScanRecord:
        item = FeedItem("check", None, "", None, None, text)
        return ScanRecord(item, self.analyse([text], channel=channel, tone=tone)[0])

    # -- scan --------------------------------------------------------------------------------------

    def read(self, sources: Sequence[str], summary: ScanSummary) -> tuple[list[FeedItem], list[SourceResult]]:
        """Read every source and record failures; return all items and the successful reads, whose
        validators (ETag, Last-Modified) are recorded only once their items are stored (`confirm`):
        recorded earlier, a crash would turn the refetch into a 304 and lose the unstored items."""
        limits = FetchLimits(
            self.settings.max_feed_bytes, self.settings.fetch_timeout_s, self.settings.max_text_chars
        )
        items: list[FeedItem] = []
        succeeded: list[SourceResult] = []
        for source in expand_sources(list(sources)):
            summary.sources += 1
            state = self.storage.get_feed_state(source) if is_url(source) else None
            result = read_source(
                source, limits, state.etag if state else None, state.last_modified if state else None
            )
            summary.warnings.extend(result.warnings)
            if result.error:
                summary.failed.append((source, result.error))
                if is_url(source):
                    self.storage.record_feed_error(source, result.error)
            else:
                succeeded.append(result)
            summary.not_modified += int(result.not_modified)
            items.extend(result.items)
        summary.items_read = len(items)
        return items, succeeded

    def confirm(self, results: Sequence[SourceResult]) -> None:
        """Record the validators and the success of sources whose items are all stored."""
        for result in results:
            if is_url(result.source):
                self.storage.record_feed_success(result.source, result.etag, result.last_modified)

    def select_new(self, items: Iterable[FeedItem], summary: ScanSummary) -> list[FeedItem]:
        """Drop empty items and duplicates (in this run and already stored)."""
        fresh: list[FeedItem] = []
        seen: set[tuple[str, str]] = set()
        for item in items:
            if not (item.text.strip() or item.title.strip()):
                summary.skipped_empty += 1
                continue
            keys = {("hash", content_hash(embed_text(item)))}
            if item.guid:
                keys.add(("guid", f"{item.source}\n{item.guid}"))
            if item.link:
                keys.add(("link", item.link))
            if keys & seen:
                summary.skipped_duplicate += 1
                continue
            seen |= keys
            fresh.append(item)
        if fresh:
            known = self.storage.find_known(
                [(i.source, i.guid, i.link, content_hash(embed_text(i))) for i in fresh]
            )
            summary.skipped_stored += len(known)
            fresh = [item for n, item in enumerate(fresh) if n not in known]
        return fresh

    def scan(
        self,
        sources: Sequence[str],
        *,
        channel: str = "short",
        tone: str = "factual",
        progress: ProgressCallback | None = None,
        summary: ScanSummary | None = None,
    ) -> Iterator[ScanRecord]:
        """Yield a record per new item; each batch is stored before its records are yielded."""
        summary = summary if summary is not None else ScanSummary()
        read, succeeded = self.read(sources, summary)
        items = self.select_new(read, summary)
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            analyses = self.analyse(
                [embed_text(i) for i in batch], channel=channel, tone=tone, dates=[i.published for i in batch]
            )
            records = [ScanRecord(i, a) for i, a in zip(batch, analyses, strict=True)]
            # count and report what this scan stored, not a concurrent one
            stored = self.storage.store_items([_item_row(r, self.settings.places) for r in records])
            summary.skipped_stored += stored.count(False)
            records = [r for r, new in zip(records, stored, strict=True) if new]
            summary.processed += len(records)
            summary.flagged += sum(r.analysis.flagged for r in records)
            if progress:
                progress(summary.processed, len(items))
            yield from records
        self.confirm(succeeded)
        self.update_narratives()

    def update_narratives(self) -> UpdateSummary | None:
        """New flagged items into narratives and emerging myths (narratives.update_narratives): at the
        end of every scan, so also in every monitor round. None without a store."""
        if self.store is None:
            return None
        return update_narratives(self.store, self.encoder)

    # -- training ------------------------------------------------------------------------------------

    def train(self) -> MythClassifier:
        """Train the classifier on the claims, the labelled posts and the office's decisions; save it."""
        decisions = labelled_decisions(self.store) if self.store is not None else []
        self._classifier = train_classifier(
            self.claims, self.encoder, self.examples, decisions, self.classifier_path
        )
        return self._classifier


def make_factsandwich(
    settings: Settings,
    *,
    use_store: bool = True,
    store: Store | None = None,
    encoder: Encoder | None = None,
    retriever: Encoder | None = None,
) -> Factsandwich:
    """Build the facade once, as the CLI, the web UI, the benchmarks and the tests use it: the store
    of FACTSANDWICH_DATABASE_URL (or `store`; none with `use_store=False`, then nothing is stored and
    claims_db/ is read as it is), its live pairs synchronised with claims_db/, and the drafts; the
    encoders, the claim index and the classifier load on first use, once. `encoder` and `retriever`
    replace the configured models (tests about something else)."""
    if store is None and use_store:
        store = Store(settings.effective_database_url)
    return Factsandwich(settings, store=store, encoder=encoder, retriever=retriever)


def embed_text(item: FeedItem) -> str:
    """What is embedded and classified: the title and the text."""
    return f"{item.title}\n{item.text}".strip() if item.title else item.text


def _item_row(record: ScanRecord, places: Sequence[str]) -> dict[str, Any]:
    data = record.to_dict()
    top = data["matches"][0] if data["matches"] else None
    named = places_in(f"{data['title']}\n{data['text']}", places)
    return {
        "source": data["source"],
        "guid": data["guid"],
        "link": data["link"],
        "title": data["title"],
        "text": data["text"],
        "content_hash": content_hash(embed_text(record.item)),
        "language": data["language"],
        "published": data["published"],
        "published_at": published_at(data["published"]),
        "myth_probability": data["myth_probability"],
        "flagged": data["flagged"],
        "matches": data["matches"],
        "draft": data["draft"],
        "fact_checks": data["fact_checks"] or None,
        "top_claim": top["claim_id"] if top else None,
        "priority": priority(data["myth_probability"], top["confidence"] if top else None, bool(named)),
        "places": ",".join(named)[:500] or None,
    }
