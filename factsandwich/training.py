"""Training data in one place: the labelled posts the models learn from (the written posts of
factsandwich/training_data/ and the real ones of the corpus's training sources, as the models read
them), the office's own triage decisions, and the myth classifier's training with its dev metrics."""

from __future__ import annotations

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
    split_dev,
)
from factsandwich.corpus import load_corpus, training_examples
from factsandwich.embed import Encoder
from factsandwich.social import for_models
from factsandwich.storage import Database
from factsandwich.storage.office import decided_items


def labelled_posts(training_dir: Path, corpus_dir: Path) -> list[Example]:
    """The labelled posts that the classifier and the claim model learn from: the written posts
    and the real ones of the corpus's training sources, as the models read them (social.py)."""
    posts = load_examples(training_dir) + training_examples(load_corpus(corpus_dir))
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
    claims: ClaimSet, encoder: Encoder, examples: list[Example], decisions: list[Example], path: Path
) -> MythClassifier:
    """Train the classifier on the claims and the labelled posts; evaluate on a dev split; save."""
    train_posts, dev_posts = split_dev(examples)
    decisions = [replace(e, text=for_models(e.text)) for e in decisions]
    train_set = claim_examples(claims) + train_posts + decisions
    texts = [e.text for e in train_set]
    classifier = MythClassifier(encoder.name)
    classifier.fit(texts, encoder.encode(texts), [e.positive for e in train_set])
    dev_texts = [e.text for e in dev_posts]
    dev_probs = classifier.predict_proba(dev_texts, encoder.encode(dev_texts))
    dev_labels = [e.positive for e in dev_posts]
    classifier.threshold = best_threshold(dev_labels, dev_probs)
    threshold = classifier.threshold
    metrics = {"all": binary_metrics(dev_labels, dev_probs, threshold)}
    for lang in ("de", "en"):
        pairs = [(e.positive, p) for e, p in zip(dev_posts, dev_probs, strict=True) if e.language == lang]
        if pairs:
            metrics[lang] = binary_metrics([t for t, _ in pairs], [p for _, p in pairs], threshold)
    classifier.metadata = {
        "n_office_decisions": len(decisions),
        **new_metadata(encoder.name, train_set, len(train_set)),
        "n_dev": len(dev_posts),
        "threshold": threshold,
        "dev_metrics": metrics,
    }
    classifier.save(path)
    return classifier
