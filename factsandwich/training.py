"""Training data in one place: the labelled posts the models learn from (the written posts of
factsandwich/training_data/ and the real ones of the corpus's training sources, as the models read
them), the office's own triage decisions, and the myth classifier's training with its dev metrics."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from factsandwich.claims import ClaimSet
from factsandwich.classify import (
    Example,
    MythClassifier,
    best_threshold,
    binary_metrics,
    claim_examples,
    load_examples,
    new_metadata,
)
from factsandwich.corpus import load_corpus, training_examples
from factsandwich.embed import Encoder
from factsandwich.social import for_models
from factsandwich.storage import Database
from factsandwich.storage.office import decided_items


def labelled_posts(
    training_dir: Path, corpus_dir: Path, datasets_dir: Path | None, leave_out: Collection[str] = ()
) -> list[Example]:
    """The labelled posts that the classifier and the claim model learn from: the written posts
    and the real ones of every corpus source but IWG and the folds in `leave_out` (the texts not
    shipped read from `datasets_dir`), as the models read them (social.py)."""
    corpus = load_corpus(corpus_dir, datasets_dir)
    posts = load_examples(training_dir) + training_examples(corpus, leave_out)
    return [replace(e, text=for_models(e.text)) for e in posts]


def labelled_decisions(store: Database) -> list[Example]:
    """The office's own judgements as training examples: a dismissal as 'not a myth' is a negative,
    a mark as mis-/disinformation or a response is a positive."""
    examples = []
    for title, text, language, status, reason, top_claim in decided_items(store):
        body = f"{title}\n{text}".strip() if title else text
        if status == "dismissed" and reason == "not_a_myth":
            examples.append(Example(body, language, "neutral"))
        elif status != "dismissed":
            examples.append(Example(body, language, "myth", top_claim))
    return examples


def train_classifier(
    claims: ClaimSet,
    encoder: Encoder,
    examples: list[Example],
    decisions: list[Example],
    path: Path,
    *,
    class_weight: str = "balanced",
) -> MythClassifier:
    """Train the classifier on the claims, the labelled posts and the office's decisions; tune the
    flag threshold on out-of-fold scores and record their metrics; save.

    Out of fold means by source: the calibration folds are the corpus's folds, so the real posts
    that set the threshold are each scored by a member that never saw their source, as a new
    office's posts will be (on written posts alone, random folds)."""
    decisions = [replace(e, text=for_models(e.text)) for e in decisions]
    train_set = claim_examples(claims) + examples + decisions
    texts = [e.text for e in train_set]
    classifier = MythClassifier(encoder.name, class_weight)
    folds = [e.fold for e in train_set]
    held_out = classifier.fit(texts, encoder.encode(texts), [e.label for e in train_set], folds)
    tuned = [(e, p) for e, p in zip(train_set, held_out, strict=True) if e.fold] or [
        (e, p) for e, p in zip(train_set, held_out, strict=True) if e in examples
    ]
    labels, probabilities = [e.positive for e, _ in tuned], [p for _, p in tuned]
    classifier.threshold = threshold = best_threshold(labels, probabilities)
    metrics = {"all": binary_metrics(labels, probabilities, threshold)}
    for lang in ("de", "en"):
        pairs = [(e.positive, p) for e, p in tuned if e.language == lang]
        if pairs:
            metrics[lang] = binary_metrics([t for t, _ in pairs], [p for _, p in pairs], threshold)
    classifier.metadata = {
        "n_office_decisions": len(decisions),
        **new_metadata(encoder.name, train_set, len(train_set)),
        "tuned_on": ", ".join(sorted({e.fold for e, _ in tuned})) or "labelled posts, random folds",
        "n_dev": len(tuned),
        "threshold": threshold,
        "dev_metrics": metrics,
    }
    classifier.save(path)
    return classifier
