"""Matching and flagging quality on held-out posts (bench/data/heldout_*.jsonl).

The held-out posts were written apart from the claims database and the training data. Reports, per
language: claim top-1 / top-3 accuracy and MAP@3 over myth posts of a known claim (the product's
matcher, and the nearest wording alone), cross-lingual top-1 (nearest wording among the other
language's wordings only), the distribution of the best match score for myth and other posts,
and flag precision, recall, F1 and PR-AUC with debunks, neutral migration news and unrelated news
as negatives. The classifier is trained fresh (seeded) in a temporary data directory unless
--data-dir is given. Last line: JSON.

    python bench/quality.py [--encoder fusion|use|minilm] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from factsandwich.claims import ClaimSet
from factsandwich.classify import Example, binary_metrics, load_examples
from factsandwich.config import Settings
from factsandwich.index import ClaimIndex, ClaimMatch
from factsandwich.pipeline import Factsandwich

HELDOUT_DIR = Path(__file__).resolve().parent / "data"


def only_language(claims: ClaimSet, language: str) -> ClaimSet:
    """The claims with the wordings of one language in both slots (for the cross-lingual test)."""
    return ClaimSet(
        tuple(dataclasses.replace(c, myths={lang: c.myths[language] for lang in c.myths}) for c in claims)
    )


def retrieval(results: list[list[ClaimMatch]], gold: list[str]) -> dict[str, float]:
    top1 = top3 = ap = 0.0
    for matches, truth in zip(results, gold, strict=True):
        ids = [m.claim_id for m in matches]
        top1 += ids[:1] == [truth]
        top3 += truth in ids
        ap += 1.0 / (ids.index(truth) + 1) if truth in ids else 0.0
    n = len(gold)
    return {"n": n, "top1": round(top1 / n, 4), "top3": round(top3 / n, 4), "map_at_3": round(ap / n, 4)}


def evaluate(app: Factsandwich, examples: list[Example]) -> dict[str, object]:
    report: dict[str, object] = {}
    for lang in ("de", "en"):
        posts = [e for e in examples if e.language == lang]
        texts = [e.text for e in posts]
        vectors = app.encoder.encode(texts)
        myth_rows = [i for i, e in enumerate(posts) if e.label == "myth" and e.claim_id]
        gold = [posts[i].claim_id or "" for i in myth_rows]
        other = "en" if lang == "de" else "de"
        cross_index = ClaimIndex.build(only_language(app.claims, other), app.encoder)
        matches = app.matcher.match(texts, vectors)
        probabilities = app.classifier.predict_proba(texts, vectors)
        threshold = app.classifier.threshold
        labels = [e.positive for e in posts]
        debunks = [p for p, e in zip(probabilities, posts, strict=True) if e.label == "debunk"]
        top_scores = {
            kind: [
                round(float(np.percentile([matches[i][0].score for i in rows], q)), 3) for q in (10, 50, 90)
            ]
            for kind, rows in (
                ("myth_posts", myth_rows),
                ("other_posts", [i for i, e in enumerate(posts) if e.label in ("neutral", "unrelated")]),
            )
        }
        report[lang] = {
            "retrieval": retrieval([matches[i] for i in myth_rows], gold),
            "dense_only": retrieval(app.matcher.index.search(vectors[myth_rows], top=3), gold),
            "cross_lingual_dense": retrieval(cross_index.search(vectors[myth_rows], top=3), gold),
            "top_score_p10_p50_p90": top_scores,
            "flag": binary_metrics(labels, probabilities, threshold),
            "flag_threshold": threshold,
            "debunks_flagged": round(float(np.mean(np.asarray(debunks) >= threshold)), 4),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--encoder", default="fusion", choices=["fusion", "use", "minilm"])
    parser.add_argument("--data-dir", type=Path, help="Use (and keep) this data directory.")
    args = parser.parse_args()
    examples = load_examples(HELDOUT_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=args.data_dir or Path(tmp), encoder=args.encoder)
        app = Factsandwich(settings)
        app.train()
        report = {
            "encoder": app.encoder.name,
            "claims": len(app.claims),
            "heldout": len(examples),
            "classifier_dev": app.classifier.metadata["dev_metrics"],
            **evaluate(app, examples),
        }
    for lang in ("de", "en"):
        part = report[lang]
        assert isinstance(part, dict)
        r, d, x, f = part["retrieval"], part["dense_only"], part["cross_lingual_dense"], part["flag"]
        print(
            f"{lang}: claim top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  MAP@3 {r['map_at_3']:.3f} "
            f"(n={r['n']}; nearest wording alone top-1 {d['top1']:.3f}) | cross-lingual (dense, other "
            f"language's wordings only) top-1 {x['top1']:.3f} top-3 {x['top3']:.3f} | "
            f"flag P {f['precision']:.3f} R {f['recall']:.3f} F1 {f['f1']:.3f} PR-AUC {f['pr_auc']:.3f} "
            f"(n={f['n']}) | debunks flagged {part['debunks_flagged']:.3f}",
            file=sys.stderr,
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
