"""Flagging variants side by side on the leave-one-source-out folds, fast.

bench/quality.py retrains the whole product six times (about 50 minutes). This harness measures the
myth classifier alone under the same protocol: every text is encoded once (the fusion encoder, the
vectors cached in one file keyed by a hash of the texts), then each variant is trained six times
(once per corpus fold held out, then on every fold: the shipped-style model) and scored on what it
never saw. Per variant: PR-AUC, F1 at the model's own out-of-fold threshold, the share of debunks and
of on-topic neutral texts flagged, per language, on the five folds together (what variants are chosen
on) and, separately, on the IWG tweets (evaluation only) and the written held-out posts (both by the
shipped-style model, as bench/quality.py does).

    python bench/flag_variants.py [--cache-dir DIR] [--variants baseline,...] [--neutral-cap 0.10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from quality import written_heldout  # bench/ is the script's folder, so its first import path
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

from factsandwich.claims import LANGUAGES, ClaimSet, load_claims
from factsandwich.classify import (
    SEED,
    Example,
    MythClassifier,
    best_threshold,
    claim_examples,
    load_examples,
    source_splits,
)
from factsandwich.config import Settings
from factsandwich.corpus import FOLDS, LabelledText, load_corpus
from factsandwich.embed import MAX_EMBED_CHARS, MemoryCache, Vectors, make_encoder
from factsandwich.framing import framing_features
from factsandwich.social import for_models
from factsandwich.training import labelled_posts


class Lookup:
    """Every text's vector, encoded once and kept in `directory` under a hash of the texts."""

    def __init__(self, texts: Sequence[str], encoder_kind: str, directory: Path) -> None:
        unique = sorted(set(texts))
        encoder = make_encoder(encoder_kind, MemoryCache())
        digest = hashlib.sha256("\n\x00".join([encoder.name, *unique]).encode()).hexdigest()[:16]
        path = directory / f"flag-vectors-{digest}.npy"
        if path.is_file():
            vectors = np.load(path)
        else:
            started = time.monotonic()
            vectors = encoder.encode(unique)
            np.save(path, vectors)
            print(f"encoded {len(unique)} texts in {time.monotonic() - started:.0f} s", file=sys.stderr)
        self.row = {t: n for n, t in enumerate(unique)}
        self.vectors = vectors

    def __call__(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self.vectors[[self.row[t] for t in texts]], dtype=np.float32)


@dataclass(frozen=True)
class Split:
    """One training of a variant: what it learns from, and the sets it scores (never seen)."""

    name: str  # the fold held out, or "shipped" (trained on every fold)
    train: list[Example]
    origin: list[str]  # per training text: "wording", "written" or "real"
    scored: dict[str, list[Example]]


def splits(settings: Settings) -> list[Split]:
    """The five leave-one-source-out trainings and the shipped-style one, as bench/quality.py makes
    them (the training set of training.train_classifier: claim wordings, then the labelled posts)."""
    corpus = load_corpus(settings.corpus_dir, settings.datasets_dir)
    wordings = claim_examples(load_claims(settings.claims_dir))

    def read(texts: Sequence[LabelledText]) -> list[Example]:
        return [replace(t.as_example(), text=for_models(t.text)) for t in texts]

    written = len(load_examples(settings.training_dir))

    def split(name: str, leave_out: Sequence[str], scored: dict[str, list[Example]]) -> Split:
        posts = labelled_posts(settings.training_dir, settings.corpus_dir, settings.datasets_dir, leave_out)
        origin = ["wording"] * len(wordings) + ["written"] * written + ["real"] * (len(posts) - written)
        return Split(name, wordings + posts, origin, scored)

    out = [split(fold, [fold], {fold: read(corpus.split(fold))}) for fold in FOLDS]
    shipped = {"iwg": read(corpus.split("iwg")), "written": read(written_heldout())}
    return [*out, split("shipped", [], shipped)]


class Model(Protocol):
    def fit(self, train: Sequence[Example], origin: Sequence[str], vectors: Vectors) -> list[float]:
        """Fit; return each training text's out-of-fold probability (by source, as classify.py)."""
        ...

    def predict(self, texts: Sequence[Example], vectors: Vectors) -> list[float]: ...


class Shipped:
    """The classifier as classify.py ships it."""

    def __init__(self) -> None:
        self.model = MythClassifier("fusion")

    def fit(self, train: Sequence[Example], origin: Sequence[str], vectors: Vectors) -> list[float]:
        del origin
        texts, labels, folds = [e.text for e in train], [e.label for e in train], [e.fold for e in train]
        return self.model.fit(texts, vectors, labels, folds)

    def predict(self, texts: Sequence[Example], vectors: Vectors) -> list[float]:
        return self.model.predict_proba([e.text for e in texts], vectors)


class Stance:
    """How a text sits between a pair's myth and its fact: cosine to the nearest myth wording, and
    that minus the cosine to the same pair's fact and explanation. A claim's own wordings are left
    out for its own texts (else a wording would find itself)."""

    def __init__(self, claims: ClaimSet, lookup: Lookup) -> None:
        myths: list[str] = []
        facts: list[str] = []
        owners_m: list[str] = []
        owners_f: list[str] = []
        for claim in claims.active:
            for lang in LANGUAGES:
                myths += claim.myths[lang]
                owners_m += [claim.id] * len(claim.myths[lang])
                facts += [claim.fact[lang], claim.short_fact[lang], claim.explanation[lang]]
                owners_f += [claim.id] * 3
        self.ids = sorted(set(owners_m))
        self.myths, self.facts = lookup(myths), lookup(facts)
        self.myth_of = np.asarray([self.ids.index(c) for c in owners_m])
        self.fact_of = np.asarray([self.ids.index(c) for c in owners_f])
        self.own = {t: c for t, c in zip(myths + facts, owners_m + owners_f, strict=True)}

    def features(self, texts: Sequence[Example], vectors: Vectors) -> np.ndarray:
        best_myth = self._per_pair(vectors @ self.myths.T, self.myth_of)
        best_fact = self._per_pair(vectors @ self.facts.T, self.fact_of)
        for row, example in enumerate(texts):
            own = self.own.get(example.text)
            if own is not None:
                best_myth[row, self.ids.index(own)] = -1.0
        nearest = best_myth.argmax(axis=1)
        rows = np.arange(len(texts))
        topical = best_myth[rows, nearest]
        return np.column_stack([topical, topical - best_fact[rows, nearest]])

    def _per_pair(self, similarity: np.ndarray, owner: np.ndarray) -> np.ndarray:
        out = np.full((similarity.shape[0], len(self.ids)), -1.0)
        for pair in range(len(self.ids)):
            out[:, pair] = similarity[:, owner == pair].max(axis=1)
        return out


@dataclass(frozen=True)
class Recipe:
    """A variant of the classifier: what it learns from, its features and its model."""

    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # claim wordings, written posts, real posts
    multiclass: bool = True  # learn myth / debunk / neutral / unrelated / fact, score p(myth) (False:
    # myth against the rest, the classifier before FEATURES_VERSION 4)
    framing: float = 1.0  # scale of the framing cues (0: left out)
    stance: float = 0.0  # scale of the claim-relative stance (0: left out)
    c: float = 16.0
    words: int = 50_000
    chars: int = 100_000  # 0: no character n-grams


class Variant:
    """The classifier built from a `Recipe` (`Recipe()` is the shipped one, measured by `Shipped`)."""

    def __init__(self, recipe: Recipe, stance: Stance) -> None:
        self.recipe = recipe
        self.stance = stance
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, lowercase=True, max_features=recipe.words
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=recipe.chars
        )
        self.model: Any = None

    def _features(self, texts: Sequence[Example], vectors: Vectors, fit: bool = False) -> sp.csr_matrix:
        lowered = [e.text[:MAX_EMBED_CHARS].casefold() for e in texts]
        blocks = [self.words.fit_transform(lowered) if fit else self.words.transform(lowered)]
        if self.recipe.chars:
            blocks.append(self.chars.fit_transform(lowered) if fit else self.chars.transform(lowered))
        blocks.append(sp.csr_matrix(vectors))
        if self.recipe.framing:
            blocks.append(sp.csr_matrix(self.recipe.framing * framing_features([e.text for e in texts])))
        if self.recipe.stance:
            blocks.append(sp.csr_matrix(self.recipe.stance * self.stance.features(texts, vectors)))
        return sp.hstack(blocks).tocsr()

    def fit(self, train: Sequence[Example], origin: Sequence[str], vectors: Vectors) -> list[float]:
        weight_of = dict(zip(("wording", "written", "real"), self.recipe.weights, strict=True))
        weights = np.asarray([weight_of[o] for o in origin])
        kept = np.flatnonzero(weights > 0)
        examples = [train[int(i)] for i in kept]
        features = self._features(examples, vectors[kept], fit=True)
        labels = np.asarray([e.label if self.recipe.multiclass else str(e.positive) for e in examples])
        splits = source_splits([e.fold for e in examples])
        base = LogisticRegression(C=self.recipe.c, class_weight="balanced", max_iter=2000, random_state=SEED)
        self.model = CalibratedClassifierCV(base, method="sigmoid", cv=splits)
        self.model.fit(features, labels, sample_weight=weights[kept])
        column = list(self.model.classes_).index("myth" if self.recipe.multiclass else "True")
        held_out = np.full(len(train), np.nan)
        for member, (_, test) in zip(self.model.calibrated_classifiers_, splits, strict=True):
            held_out[kept[test]] = member.predict_proba(features[test])[:, column]
        self.column = column
        return [float(p) for p in held_out]

    def predict(self, texts: Sequence[Example], vectors: Vectors) -> list[float]:
        probabilities = self.model.predict_proba(self._features(texts, vectors))[:, self.column]
        return [float(p) for p in probabilities]


@dataclass(frozen=True)
class Scored:
    example: Example
    probability: float
    thresholds: dict[str, float]  # by threshold rule (`RULES`), for this text's language


def thresholds(held_out: Sequence[tuple[Example, float]], neutral_cap: float) -> dict[str, dict[str, float]]:
    """Per language, the flag threshold each rule picks from out-of-fold scores of real posts:
    `f1` the shipped rule (classify.best_threshold), `f1/lang` the same per language, `cap` the best
    F1 of a fine grid among thresholds that flag at most `neutral_cap` of the neutral texts."""
    labels, scores = [e.positive for e, _ in held_out], [p for _, p in held_out]
    shipped = best_threshold(labels, scores)
    neutral = np.asarray([p for e, p in held_out if e.label == "neutral"])
    grid = [t for t in np.arange(0.05, 0.96, 0.01) if (neutral >= t).mean() <= neutral_cap]
    truth = np.asarray(labels)
    f1 = [f1_score(truth, np.asarray(scores) >= t, zero_division=0) for t in grid]
    capped = round(float(grid[int(np.argmax(f1))]), 2) if grid else 0.95
    out = {}
    for lang in LANGUAGES:
        mine = [(e.positive, p) for e, p in held_out if e.language == lang]
        own = best_threshold([t for t, _ in mine], [p for _, p in mine]) if mine else shipped
        out[lang] = {"f1": shipped, "f1/lang": own, "cap": capped}
    return out


RULES = ("f1", "f1/lang", "cap")


def run(
    make: Callable[[], Model], plan: Sequence[Split], lookup: Lookup, neutral_cap: float
) -> dict[str, list[Scored]]:
    """Train one variant on each split; score each split's held-out sets with its own thresholds."""
    out: dict[str, list[Scored]] = {}
    for split in plan:
        model = make()
        held_out = model.fit(split.train, split.origin, lookup([e.text for e in split.train]))
        real = [(e, p) for e, p in zip(split.train, held_out, strict=True) if e.fold]
        rule = thresholds(real, neutral_cap)
        for name, texts in split.scored.items():
            probabilities = model.predict(texts, lookup([e.text for e in texts]))
            rows = [Scored(e, p, rule[e.language]) for e, p in zip(texts, probabilities, strict=True)]
            out.setdefault("folds" if split.name in FOLDS else name, []).extend(rows)
    return out


def metrics(rows: Sequence[Scored], rule: str) -> dict[str, float]:
    truth = np.asarray([r.example.positive for r in rows])
    scores = np.asarray([r.probability for r in rows])
    flagged = scores >= np.asarray([r.thresholds[rule] for r in rows])

    def share(label: str) -> float:
        mine = np.asarray([r.example.label == label for r in rows])
        return float(flagged[mine].mean()) if mine.any() else float("nan")

    return {
        "n": len(rows),
        "pr_auc": float(average_precision_score(truth, scores)) if truth.any() else float("nan"),
        "precision": float(precision_score(truth, flagged, zero_division=0)),
        "recall": float(recall_score(truth, flagged, zero_division=0)),
        "f1": float(f1_score(truth, flagged, zero_division=0)),
        "debunks": share("debunk"),
        "neutral": share("neutral"),
    }


def table(name: str, scored: dict[str, list[Scored]]) -> list[tuple[str, str, str, dict[str, float]]]:
    """(variant, set, rule, metrics) rows: the folds by language under every rule, IWG and the
    written posts under the shipped rule."""
    out = []
    folds = scored["folds"]
    for rule in RULES:
        for lang in ("all", *LANGUAGES):
            rows = [r for r in folds if lang in ("all", r.example.language)]
            out.append((name, f"folds/{lang}", rule, metrics(rows, rule)))
    for other in ("iwg", "written"):
        out.append((name, other, "f1", metrics(scored[other], "f1")))
    return out


def show(row: tuple[str, str, str, dict[str, float]]) -> str:
    name, part, rule, m = row
    return (
        f"{name:<24} {part:<12} {rule:<8} n={m['n']:<5} PR-AUC {m['pr_auc']:.3f}  P {m['precision']:.3f} "
        f"R {m['recall']:.3f} F1 {m['f1']:.3f}  debunks {m['debunks']:.3f} neutral {m['neutral']:.3f}"
    )


VARIANTS: dict[str, Recipe | None] = {  # None: the shipped classifier (classify.MythClassifier)
    "shipped": None,
    "binary": Recipe(multiclass=False),
    "real-x3": Recipe(weights=(1.0, 1.0, 3.0)),
    "no-wordings": Recipe(weights=(0.0, 1.0, 1.0)),
    "no-written": Recipe(weights=(1.0, 0.0, 1.0)),
    "real-only": Recipe(weights=(0.0, 0.0, 1.0)),
    "framing-x5": Recipe(framing=5.0),
    "stance-x5": Recipe(stance=5.0),
    "c-1": Recipe(c=1.0),
    "c-4": Recipe(c=4.0),
    "small-tfidf": Recipe(words=10_000, chars=20_000),
    "no-chars": Recipe(chars=0),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache-dir", type=Path, help="Keep the vectors here (default: a temporary folder).")
    parser.add_argument("--variants", default="shipped", help=f"Comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--neutral-cap", type=float, default=0.10, help="The `cap` rule's neutral share.")
    args = parser.parse_args()
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=Path(tmp), encoder="fusion")
        plan = splits(settings)
        claims = load_claims(settings.claims_dir)
        texts = [e.text for s in plan for e in s.train + [e for v in s.scored.values() for e in v]]
        lookup = Lookup(texts, settings.encoder, args.cache_dir or Path(tmp))
        stance = Stance(claims, lookup)
        results = []
        for name in names:
            recipe = VARIANTS[name]
            started = time.monotonic()

            def make(recipe: Recipe | None = recipe) -> Model:
                return Shipped() if recipe is None else Variant(recipe, stance)

            rows = table(name, run(make, plan, lookup, args.neutral_cap))
            print(f"{name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
            print("\n".join(show(r) for r in rows), flush=True)
            results += rows
    print(json.dumps([{"variant": n, "set": s, "rule": r, **m} for n, s, r, m in results]))


if __name__ == "__main__":
    main()
