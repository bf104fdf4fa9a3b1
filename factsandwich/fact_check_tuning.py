"""Teach the fact-check search an office's (or a benchmark's) matched pairs: post → fact-check.

`tune` splits the pairs by post, four fifths to one fifth:
  * on the larger part it fine-tunes a copy of the packaged MiniLM (in-batch negatives, the
    "multiple negatives ranking" loss, both directions; 3 epochs, a few minutes on a CPU),
  * on the smaller part, which the tuned model has not seen, it fits the re-ranker (fact_check_search),
    so the re-ranker learns how far to trust the tuned model on new posts, not on its training posts;
    each of these posts counts once with its date and once without (posts often come undated), and
    posts known to check nothing in the collection (`unmatched`: by default the product's own labelled
    posts) count with every candidate irrelevant: most scanned items match no fact-check, and a
    re-ranker that only saw posts with a match would attach the nearest one to anything.
The result is one directory under the data directory's models/ (model, re-ranker, what it learned
from); a pointer file names the one in use, replaced atomically. bench/checkthat.py measures each step.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from factsandwich.embed import CachedEncoder, EmbeddingCache, Encoder, SentenceTransformerEncoder
from factsandwich.errors import FactCheckError
from factsandwich.fact_check_search import FactCheckSearch, Reranker, document_text
from factsandwich.fact_checks import FactCheck
from factsandwich.files import atomic_write_text

POINTER = "factcheck-retriever.json"
EPOCHS = 3
LEARNING_RATE = 3e-5
BATCH_SIZE = 32
SCALE = 20.0  # cosine similarities x 20 as logits: the usual temperature of this loss
SEED = 13
MIN_PAIRS = 10
# At most this many posts without a match per post with one: with few pairs, hundreds of unmatched
# posts would teach the re-ranker that nothing ever matches.
UNMATCHED_PER_POST = 4


@dataclass(frozen=True)
class TuningPair:
    text: str  # the post
    collection: str
    external_id: str  # the fact-check that checks it
    published: str | None = None  # the post's date (ISO), when known


@dataclass(frozen=True)
class TunedRetriever:
    """A fine-tuned model directory (sentence-transformers files, reranker.joblib, tuning.json)."""

    directory: Path
    reranker: Reranker

    def encoder(self) -> Encoder:
        """Named after the directory, which is named after what it learned: caches never mix tunings."""
        return SentenceTransformerEncoder(self.directory, bf16=True, name=encoder_name(self.directory.name))


def encoder_name(directory_name: str) -> str:
    return f"st:{directory_name}+bf16"


def read_checkthat_pairs(queries: Path, qrels: Path, collection: str) -> list[TuningPair]:
    """Pairs from the CLEF CheckThat! layout: `queries.tsv` (id TAB text) and TREC `qrels.tsv`
    (id 0 fact-check-id 1), in the qrels' order."""
    texts, judgements = _read_checkthat(queries, qrels)
    return [TuningPair(texts[query_id], collection, external_id) for query_id, external_id in judgements]


def read_checkthat_queries(queries: Path, qrels: Path) -> list[tuple[str, set[str]]]:
    """Each post of the layout that has a relevant fact-check, in the queries' order, with their ids."""
    texts, judgements = _read_checkthat(queries, qrels)
    relevant: dict[str, set[str]] = {}
    for query_id, external_id in judgements:
        relevant.setdefault(query_id, set()).add(external_id)
    return [(text, relevant[query_id]) for query_id, text in texts.items() if query_id in relevant]


def _read_checkthat(queries: Path, qrels: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(query id → text, the relevant (query id, fact-check id) judgements in file order)."""
    texts: dict[str, str] = {}
    for number, line in enumerate(_lines(queries), 1):
        query_id, tab, text = line.partition("\t")
        if not tab or not text.strip():
            raise FactCheckError(f"{queries}:{number}: expected 'id<TAB>text'")
        texts[query_id.strip()] = text.strip()
    judgements = []
    for number, line in enumerate(_lines(qrels), 1):
        fields = line.split()
        if len(fields) != 4:
            raise FactCheckError(f"{qrels}:{number}: expected 'query-id 0 fact-check-id relevance'")
        query_id, _, external_id, relevance = fields
        if query_id not in texts:
            raise FactCheckError(f"{qrels}:{number}: query {query_id!r} is not in {queries}")
        if relevance != "0":
            judgements.append((query_id, external_id))
    return texts, judgements


def read_pairs_jsonl(path: Path) -> list[TuningPair]:
    """Pairs from JSON Lines: {"text", "collection", "external_id", optional "published"}."""
    pairs = []
    for number, line in enumerate(_lines(path), 1):
        try:
            record = json.loads(line)
            pairs.append(
                TuningPair(
                    str(record["text"]),
                    str(record["collection"]),
                    str(record["external_id"]),
                    str(record["published"]) if record.get("published") else None,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise FactCheckError(f"{path}:{number}: not a pair record ({exc})") from None
    return pairs


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactCheckError(f"cannot read {path}: {exc}") from None
    return [line for line in text.splitlines() if line.strip()]


def split_pairs(pairs: Sequence[TuningPair]) -> tuple[list[TuningPair], list[TuningPair]]:
    """(model part, re-ranker part): a stable 4:1 split by post, so a post's pairs stay together."""
    model_part: list[TuningPair] = []
    ranker_part: list[TuningPair] = []
    for pair in pairs:
        bucket = int(hashlib.sha256(pair.text.encode()).hexdigest(), 16) % 5
        (ranker_part if bucket == 0 else model_part).append(pair)
    return model_part, ranker_part


def tune(
    fact_checks: Sequence[FactCheck],
    pairs: Sequence[TuningPair],
    models_dir: Path,
    *,
    cache: EmbeddingCache,
    unmatched: Sequence[str] = (),
    log: Callable[[str], None] = lambda _: None,
) -> TunedRetriever:
    """Fine-tune, fit the re-ranker, save, and make the result the one in use."""
    by_key = {(f.collection, f.external_id): f for f in fact_checks}
    unknown = [p for p in pairs if (p.collection, p.external_id) not in by_key]
    if unknown:
        raise FactCheckError(
            f"{len(unknown)} pairs name fact-checks that are not imported, e.g. "
            f"{unknown[0].collection}/{unknown[0].external_id}: import the collection first"
        )
    model_part, ranker_part = split_pairs(pairs)
    if len(model_part) < MIN_PAIRS or len({p.text for p in ranker_part}) < 2:
        raise FactCheckError(f"too few pairs to learn from ({len(pairs)}; at least {MIN_PAIRS * 2} needed)")
    recipe = {"epochs": EPOCHS, "learning_rate": LEARNING_RATE, "batch_size": BATCH_SIZE, "seed": SEED}
    learned_from = [recipe, sorted(map(str, pairs)), sorted(unmatched)]
    digest = hashlib.sha256(json.dumps(learned_from).encode()).hexdigest()[:12]
    final = models_dir / f"factcheck-retriever-{digest}"
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".factcheck-retriever-", dir=models_dir))
    try:
        log(f"fine-tuning on {len(model_part)} pairs ({EPOCHS} epochs)")
        _fine_tune([(p.text, document_text(by_key[p.collection, p.external_id])) for p in model_part], work)
        tuned = SentenceTransformerEncoder(work, bf16=True, name=encoder_name(final.name))
        log(f"encoding {len(fact_checks)} fact-checks with the tuned model")
        search = FactCheckSearch.build(fact_checks, CachedEncoder(tuned, cache), version="tuning")
        negatives = _some(unmatched, UNMATCHED_PER_POST * len({p.text for p in ranker_part}))
        log(f"fitting the re-ranker on {len(ranker_part)} held-apart pairs, {len(negatives)} unmatched posts")
        reranker = fit_reranker(search, ranker_part, negatives)
        joblib.dump(reranker, work / "reranker.joblib")
        metadata = {
            **recipe,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "pairs_model": len(model_part),
            "pairs_reranker": len(ranker_part),
            "unmatched_posts": len(negatives),
        }
        (work / "tuning.json").write_text(json.dumps(metadata, indent=1))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _write_pointer(models_dir, final.name)
    return TunedRetriever(final, reranker)


def fit_reranker(
    search: FactCheckSearch, pairs: Sequence[TuningPair], unmatched: Sequence[str] = ()
) -> Reranker:
    """Fit on every candidate of every post: relevant when it is one of the post's fact-checks. Paired
    posts count dated and undated; every candidate of an unmatched post is irrelevant."""
    gold: dict[str, set[tuple[str, str]]] = {}
    dates: dict[str, str | None] = {}
    for pair in pairs:
        gold.setdefault(pair.text, set()).add((pair.collection, pair.external_id))
        dates[pair.text] = pair.published
    texts = list(gold)
    posts = [*texts, *texts, *unmatched]
    # "" is "no date": neither the given one nor one read from a pasted tweet's signature.
    post_dates: list[str | None] = [*(dates[t] for t in texts), *([""] * (len(texts) + len(unmatched)))]
    rows, labels = [], []
    for text, (pool, features) in zip(posts, search.candidates(posts, post_dates), strict=True):
        rows.append(features)
        wanted = gold.get(text, set())
        labels += [
            (search.fact_checks[i].collection, search.fact_checks[i].external_id) in wanted for i in pool
        ]
    if not any(labels):
        raise FactCheckError("no held-apart post finds its fact-check among the candidates: check the pairs")
    return Reranker().fit(np.vstack(rows), labels)


def _some(texts: Sequence[str], count: int) -> list[str]:
    """A stable choice of `count` texts (by hash, not by file order, which groups topics)."""
    return sorted(texts, key=lambda t: hashlib.sha256(t.encode()).hexdigest())[:count]


def tuned_name(models_dir: Path) -> str:
    """The name of the tuned retriever in use ("" for none): cheap, to notice a new tuning."""
    try:
        return str(json.loads((models_dir / POINTER).read_text())["directory"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def load_tuned(models_dir: Path) -> TunedRetriever | None:
    """The tuned retriever in use, or None (then the packaged model serves, without a re-ranker)."""
    name = tuned_name(models_dir)
    if not name:
        return None
    directory = models_dir / name
    try:
        reranker = joblib.load(directory / "reranker.joblib")
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(reranker, Reranker) or not (directory / "config.json").is_file():
        return None
    return TunedRetriever(directory, reranker)


def _write_pointer(models_dir: Path, name: str) -> None:
    atomic_write_text(models_dir / POINTER, json.dumps({"directory": name}))


def _fine_tune(pairs: Sequence[tuple[str, str]], out: Path) -> None:
    """In-batch-negatives fine-tuning of a copy of the packaged MiniLM, saved to `out`."""
    import torch
    import torch.nn.functional as functional

    encoder = SentenceTransformerEncoder(bf16=True)
    model: Any = copy.deepcopy(encoder.load_model())  # the process-wide loaded one stays untouched
    torch.manual_seed(SEED)
    order = list(pairs)
    random.Random(SEED).shuffle(order)
    steps = EPOCHS * -(-len(order) // BATCH_SIZE)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / steps)
    )

    def embed(texts: list[str]) -> Any:  # Any: torch's autograd calls are untyped
        features = model.preprocess(texts)
        return functional.normalize(model(features)["sentence_embedding"], dim=-1)

    model.train()
    for epoch in range(EPOCHS):
        random.Random(SEED + epoch).shuffle(order)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=encoder.bf16):
                posts = embed([post for post, _ in batch])
                documents = embed([document for _, document in batch])
            logits = (posts.float() @ documents.float().T) * SCALE
            target = torch.arange(len(batch))
            loss: Any = functional.cross_entropy(logits, target) + functional.cross_entropy(logits.T, target)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
    model.eval()
    model.save(str(out))
