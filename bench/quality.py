"""Matching and flagging quality: real texts by held-out source, beside the written held-out posts.

Real texts: the hand-labelled corpus (corpus/README.md). Protocol `loso` (default, what ships):
leave one source out. For each fold (GermEval 2021 comments, DEbateNet newspaper claims, CheckThat!
tweets and Snopes claims, the web quotes and headlines of the held-out publishers, German and
English) the models are trained on everything else and score that fold only; the IWG refugee
tweets (evaluation only: never trained or tuned on) and the written held-out posts are scored by
the shipped models, trained on every fold. Protocol `fixed` (the earlier one, for comparison): one
model learns from the `train` split only (GermEval 2018 tweets, half of the web publishers) and
scores every fold. Texts not shipped are read from the shared datasets folder
(FACTSANDWICH_DATASETS_DIR or ../shared/datasets); without it only the shipped sources are used.

Written held-out posts: bench/data/heldout_*.jsonl, written apart from the claims and the training
data (the figures reported before the real corpus existed).

Per set: claim ranking top-1 / top-3 over myth texts of a known claim (a hit when the candidate is
one of the claims the text repeats), top-3 as shown (what the product shows: all three candidates
for a flagged item, those reaching the suggest confidence for others), the share of myth texts
whose top candidate is `confident` and that candidate's precision; flag precision, recall, F1
(myths, also myths not in the database, are positives), the share of debunks and of on-topic
neutral texts flagged, at the model's own threshold (tuned out of fold, by source: training.py).
Then a threshold sweep, a per-claim confusion table and the 20 worst misses over all held-out real
texts. The models are trained fresh (seeded); with --data-dir the vectors (its store) and the claim
models are cached there for the next run. Last line: JSON.

    python bench/quality.py [--protocol loso|fixed] [--class-weight balanced|none]
                            [--encoder fusion|use|minilm] [--data-dir DIR] [--misses 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from factsandwich.classify import binary_metrics, load_examples
from factsandwich.config import Settings
from factsandwich.corpus import EVALUATION_ONLY_SOURCES, FOLDS, Corpus, LabelledText, load_corpus
from factsandwich.pipeline import Factsandwich
from factsandwich.social import for_models
from factsandwich.storage import Store
from factsandwich.training import labelled_posts, train_classifier

HELDOUT_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Scored:
    text: LabelledText
    flagged: bool
    probability: float
    ranked: tuple[tuple[str, float, bool], ...]  # (claim, confidence, confident), best first
    shown: tuple[str, ...]


def score(app: Factsandwich, texts: list[LabelledText]) -> list[Scored]:
    analyses = app.analyse([t.text for t in texts])
    model_texts = [for_models(t.text) for t in texts]
    ranked = app.matcher.match(
        model_texts, app.encoder.encode(model_texts), top=3, confident=app.settings.confident_threshold
    )
    return [
        Scored(
            t,
            a.flagged,
            a.myth_probability,
            tuple((m.claim_id, m.confidence, m.confident) for m in r),
            tuple(m.claim_id for m in a.matches),
        )
        for t, a, r in zip(texts, analyses, ranked, strict=True)
    ]


def report(rows: list[Scored]) -> dict[str, object]:
    known = [r for r in rows if r.text.kind == "myth" and r.text.claim_ids]
    n = len(known)

    def share(hits: int, total: int) -> float | None:
        return round(hits / total, 4) if total else None

    top1 = sum(bool(r.ranked) and r.ranked[0][0] in r.text.claim_ids for r in known)
    top3 = sum(any(c in r.text.claim_ids for c, _, _ in r.ranked) for r in known)
    shown3 = sum(any(c in r.text.claim_ids for c in r.shown) for r in known)
    confident = [r for r in known if r.ranked and r.ranked[0][2]]
    confident_right = sum(r.ranked[0][0] in r.text.claim_ids for r in confident)
    labels = [r.text.is_myth for r in rows]
    flags = binary_metrics(labels, [r.probability for r in rows], 0.5) if rows else {}
    flagged = [r.flagged for r in rows]
    tp = sum(f and t for f, t in zip(flagged, labels, strict=True))
    precision = tp / sum(flagged) if sum(flagged) else 0.0
    recall = tp / sum(labels) if sum(labels) else 0.0
    debunks = [r for r in rows if r.text.kind == "debunk"]
    neutral = [r for r in rows if r.text.kind == "neutral"]
    return {
        "n": len(rows),
        "kinds": dict(Counter(r.text.kind for r in rows)),
        "claim": {
            "n": n,
            "top1": share(top1, n),
            "top3": share(top3, n),
            "top3_shown": share(shown3, n),
            "confident_share": share(len(confident), n),
            "confident_precision": share(confident_right, len(confident)),
        },
        "flag": {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "pr_auc": flags.get("pr_auc"),
            "debunks_flagged": share(sum(r.flagged for r in debunks), len(debunks)),
            "neutral_flagged": share(sum(r.flagged for r in neutral), len(neutral)),
        },
    }


def line(name: str, part: dict[str, object]) -> str:
    c, f = part["claim"], part["flag"]
    assert isinstance(c, dict) and isinstance(f, dict)

    def fmt(value: object) -> str:
        return "  -  " if value is None else f"{value:.3f}"

    return (
        f"{name:<48} n={part['n']:<4} claim n={c['n']:<4} top-1 {fmt(c['top1'])} top-3 {fmt(c['top3'])} "
        f"shown {fmt(c['top3_shown'])} confident {fmt(c['confident_share'])} "
        f"(prec {fmt(c['confident_precision'])}) | "
        f"flag P {fmt(f['precision'])} R {fmt(f['recall'])} F1 {fmt(f['f1'])} | debunks flagged "
        f"{fmt(f['debunks_flagged'])} neutral flagged {fmt(f['neutral_flagged'])}"
    )


def confusion(rows: list[Scored]) -> str:
    """Gold claim (first listed) against the top candidate, over held-out real myth texts."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r.text.kind == "myth" and r.text.claim_ids:
            got = r.ranked[0][0] if r.ranked else "-"
            table[r.text.claim_ids[0]][gold_or(got, r.text.claim_ids)] += 1
    out = [f"{'gold claim':<36} {'n':>4} {'top-1':>6}  most often instead"]
    for gold in sorted(table):
        counts = table[gold]
        total = sum(counts.values())
        right = sum(v for k, v in counts.items() if k == gold)
        wrong = ", ".join(f"{k} {v}" for k, v in counts.most_common() if k != gold)[:90]
        out.append(f"{gold:<36} {total:>4} {right / total:>6.2f}  {wrong}")
    return "\n".join(out)


def reliability(rows: list[Scored]) -> str:
    """Is the confidence calibrated? Top candidates of held-out real myth texts of a known claim, by
    confidence band: how often the candidate is right."""
    bands = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]
    out = ["confidence band   n     right"]
    for low, high in bands:
        hits = [
            r.ranked[0][0] in r.text.claim_ids
            for r in rows
            if r.text.kind == "myth" and r.text.claim_ids and r.ranked and low <= r.ranked[0][1] < high
        ]
        right = f"{sum(hits) / len(hits):.2f}" if hits else "  -"
        out.append(f"{low:.1f}–{min(high, 1.0):.1f}      {len(hits):>5}   {right}")
    return "\n".join(out)


def sweep(rows: list[Scored]) -> str:
    """What each flag threshold would do on held-out real texts: the office's trade-off."""
    out = ["threshold  flagged  precision  recall  F1     debunks flagged  neutral flagged"]
    debunks = [r for r in rows if r.text.kind == "debunk"]
    neutral = [r for r in rows if r.text.kind == "neutral"]
    for step in range(2, 13):
        t = step / 20
        flagged = [r for r in rows if r.probability >= t]
        right = sum(r.text.is_myth for r in flagged)
        positives = sum(r.text.is_myth for r in rows)
        p = right / len(flagged) if flagged else 0.0
        rec = right / positives if positives else 0.0
        f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
        deb = sum(r.probability >= t for r in debunks) / max(len(debunks), 1)
        neu = sum(r.probability >= t for r in neutral) / max(len(neutral), 1)
        out.append(
            f"{t:.2f}       {len(flagged):>6}   {p:.3f}      {rec:.3f}   {f1:.3f}  "
            f"{deb:.3f}            {neu:.3f}"
        )
    return "\n".join(out)


def gold_or(claim_id: str, gold: tuple[str, ...]) -> str:
    """A top candidate that is any of the text's claims counts as its first claim."""
    return gold[0] if claim_id in gold else claim_id


def worst(rows: list[Scored], count: int) -> str:
    """Myth texts whose gold claim is ranked lowest (or the myth was not flagged), worst first."""

    def badness(r: Scored) -> tuple[int, float]:
        ids = [c for c, _, _ in r.ranked]
        rank = min((ids.index(c) for c in r.text.claim_ids if c in ids), default=3)
        return (rank + (0 if r.flagged else 1), -r.probability)

    misses = [r for r in rows if r.text.kind == "myth" and r.text.claim_ids and badness(r)[0] > 0]
    misses.sort(key=badness, reverse=True)
    out = []
    for r in misses[:count]:
        got = ", ".join(f"{c} {p:.2f}" for c, p, _ in r.ranked)
        text = " ".join(r.text.text.split())[:160]
        out.append(
            f"- [{r.text.split}] gold {'+'.join(r.text.claim_ids)} | got {got} | "
            f"p(myth) {r.probability:.2f}\n  {text}"
        )
    return "\n".join(out)


def written_heldout() -> list[LabelledText]:
    examples = load_examples(HELDOUT_DIR)
    return [
        LabelledText(
            "written",
            f"heldout:{n}",
            e.language,
            "myth" if e.label == "myth" and e.claim_id else ("myth-other" if e.label == "myth" else e.label),
            e.claim_ids,
            e.text,
        )
        for n, e in enumerate(examples)
    ]


@dataclass(frozen=True)
class Evaluation:
    """Scored real texts of every held-out set, the written held-out posts, and the threshold."""

    real: dict[str, list[Scored]]  # by held-out set: the folds and iwg
    written: list[Scored]
    threshold: float  # the shipped (or fixed) model's flag threshold


def models(settings: Settings, store: Store, leave_out: Collection[str], class_weight: str) -> Factsandwich:
    """Models trained on every labelled post but the folds in `leave_out` (and IWG, always)."""
    examples = labelled_posts(settings.training_dir, settings.corpus_dir, settings.datasets_dir, leave_out)
    app = Factsandwich(settings, store=store, examples=examples)
    started = time.monotonic()
    train_classifier(
        app.claims, app.encoder, app.examples, [], app.classifier_path, class_weight=class_weight
    )
    _ = app.matcher
    print(
        f"trained without {', '.join(leave_out) or 'nothing'}: {len(examples)} posts, "
        f"threshold {app.classifier.threshold:.2f}, {time.monotonic() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return app


def evaluate(
    settings: Settings, store: Store, corpus: Corpus, protocol: str, class_weight: str
) -> Evaluation:
    """Score every held-out real text by models that never saw its source, and the written posts.

    loso: each fold by the models trained on everything else (their threshold tuned on the other
    folds, out of fold); IWG and the written posts by the shipped models (every fold). fixed: every
    fold, IWG and the written posts by one model trained on the `train` split only (the protocol
    before leave-one-source-out)."""
    real: dict[str, list[Scored]] = {}
    if protocol == "loso":
        for fold in FOLDS:
            real[fold] = score(models(settings, store, [fold], class_weight), corpus.split(fold))
        final = models(settings, store, [], class_weight)
    else:
        final = models(settings, store, FOLDS, class_weight)
        real.update((fold, score(final, corpus.split(fold))) for fold in FOLDS)
    real["iwg"] = score(final, corpus.split("iwg"))
    return Evaluation(real, score(final, written_heldout()), final.classifier.threshold)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--encoder", default="fusion", choices=["fusion", "use", "minilm"])
    parser.add_argument("--protocol", default="loso", choices=["loso", "fixed"])
    parser.add_argument("--class-weight", default="balanced", choices=["balanced", "none"])
    parser.add_argument(
        "--data-dir", type=Path, help="Use (and keep) this data directory: its store caches the vectors."
    )
    parser.add_argument("--misses", type=int, default=20, help="How many of the worst misses to print.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=args.data_dir or Path(tmp), encoder=args.encoder)
        corpus = load_corpus(settings.corpus_dir, settings.datasets_dir)
        print(f"corpus: {len(corpus.texts)} texts ({corpus.unreadable} not readable here)", file=sys.stderr)
        found = evaluate(
            settings, Store(settings.effective_database_url), corpus, args.protocol, args.class_weight
        )
        results: dict[str, object] = {
            "encoder": settings.encoder,
            "protocol": args.protocol,
            "class_weight": args.class_weight,
            "unreadable": corpus.unreadable,
            "threshold": found.threshold,
        }
        for lang in ("de", "en"):
            results[f"written/{lang}"] = report([r for r in found.written if r.text.language == lang])
        for name, rows in found.real.items():
            for lang in ("de", "en"):
                part = [r for r in rows if r.text.language == lang]
                if part:
                    results[f"{name}/{lang}"] = report(part)
        held_rows = [r for rows in found.real.values() for r in rows]
        for lang in ("de", "en"):
            results[f"held-out real/{lang}"] = report([r for r in held_rows if r.text.language == lang])
        results["held-out real, sure labels"] = report([r for r in held_rows if r.text.sure])
        results["held-out real, without iwg"] = report([r for r in held_rows if r.text.source != "iwg"])
        results["held-out real"] = report(held_rows)
        for label, value in results.items():
            if isinstance(value, dict) and "claim" in value:
                print(line(label, value), file=sys.stderr)
        print(
            f"\nFlag thresholds on held-out real texts (the shipped model's: {found.threshold:.2f}):\n"
            + sweep(held_rows),
            file=sys.stderr,
        )
        print("\nCalibration (held-out real myth texts):\n" + reliability(held_rows), file=sys.stderr)
        print("\nPer-claim confusion (held-out real myth texts):\n" + confusion(held_rows), file=sys.stderr)
        print(
            f"\nThe {args.misses} worst misses (held-out real):\n" + worst(held_rows, args.misses),
            file=sys.stderr,
        )
        print(
            "(evaluation only, never trained or tuned on: "
            + ", ".join(sorted(EVALUATION_ONLY_SOURCES))
            + ")",
            file=sys.stderr,
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
