"""Many posts, one answer: flagged items grouped into narratives, and unmatched ones into emerging myths.

**Narratives** are the posts that repeat one matched claim, split further into groups of near-copies:
a retweet, a copied chain letter or a slightly reworded post lands in the narrative of what it copies,
so one approved response can answer all of them. An item joins a narrative of its own claim when its
shingled text is a near-copy of one of the narrative's kept texts (MinHash estimate of the word
3-gram Jaccard, robust to appended hashtags and links) or, failing that, when its embedding is close
to the narrative's centroid; otherwise it opens a new one. Each narrative keeps the sum of its
members' vectors (the centroid) and a few MinHash signatures, so a new item is assigned by comparing
it with the narratives of its claim only: nothing is recomputed. `group_narratives` (the full
rebuild) is the same rule folded over the items in time order, so rebuild and incremental
assignment agree.

**Emerging myths** are flagged items that match no pair with confidence. Within a time window they
are clustered by average-linkage agglomerative clustering on cosine distance with a distance
threshold (no number of clusters to guess); clusters below a minimum size are noise. A cluster is
described by its most typical posts (closest to its centroid) and keywords (c-TF-IDF of the cluster
against the other clusters and the noise, German and English stop words removed). New items join an
existing cluster when close to its centroid (`assign_emerging`); a periodic `find_emerging` over the
window re-forms clusters and `carry_ids` keeps their ids stable.

Values are frozen; vectors are L2-normalised float32 rows of the project's encoder (embed.py).
Nothing here reads the clock or touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from factsandwich.social import for_models

Vectors = npt.NDArray[np.float32]
Signatures = npt.NDArray[np.uint32]

PERMUTATIONS = 64
_EMPTY = np.uint32(0xFFFFFFFF)
_rng = np.random.default_rng(20261201)
_HASH_A = (_rng.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2)) + np.uint64(1)
_HASH_B = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"[^\W_]+")
_NOT_TEXT = re.compile(
    r"(?:^|\s)RT\s+@\w+:?|\|LBR\||\b(?:https?://|www\.)\S+|(?<![\w@])@\w{1,30}", re.IGNORECASE
)
_LETTERS = re.compile(r"[^\W\d_]{3,}")


# -- shared values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterItem:
    """A flagged item as clustering sees it. `claim_id` is the confidently matched pair, or None."""

    id: str
    text: str
    vector: Vectors = field(compare=False, repr=False)
    claim_id: str | None = None
    source: str = ""
    published: dt.datetime | None = None


def _naive_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """Times compare in naive UTC, as the store keeps them."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _add_sources(
    counts: Iterable[tuple[str, int]], more: Iterable[tuple[str, int]]
) -> tuple[tuple[str, int], ...]:
    total: Counter[str] = Counter()
    for name, n in (*counts, *more):
        total[name] += n
    return tuple(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


def _unit(vector: npt.NDArray[np.floating]) -> Vectors:
    norm = float(np.linalg.norm(vector))
    unit: Vectors = (vector / norm if norm > 0 else vector).astype(np.float32)
    return unit


def _stable_id(prefix: str, item_id: str) -> str:
    """An id derived from the first item: two processes that open the same group name it alike."""
    return f"{prefix}-{hashlib.sha256(item_id.encode('utf-8')).hexdigest()[:12]}"


def _time_order(items: Iterable[ClusterItem]) -> list[ClusterItem]:
    """Oldest first; undated items after the dated ones; the id breaks ties (deterministic)."""
    return sorted(
        items,
        key=lambda i: (_naive_utc(i.published) is None, _naive_utc(i.published) or dt.datetime.min, i.id),
    )


# -- shingles and MinHash -----------------------------------------------------------------------------


def shingles(text: str, size: int = 3) -> frozenset[int]:
    """Hashed word `size`-grams of the text without handles, links, RT prefixes and `|LBR|` markers (so
    a retweet shingles like its original; `#tag` reads as `tag`); a shorter text is one shingle."""
    words = _WORD.findall(_NOT_TEXT.sub(" ", text).casefold())
    if not words:
        return frozenset()
    grams = [" ".join(words[i : i + size]).encode("utf-8") for i in range(max(1, len(words) - size + 1))]
    return frozenset(zlib.crc32(g) | (zlib.crc32(g, 0x9E3779B9) << 32) for g in grams)


def minhash(text: str) -> Signatures:
    """A MinHash signature (PERMUTATIONS values): the share of equal positions of two signatures
    estimates the Jaccard similarity of their shingle sets. An empty text has the all-empty signature."""
    hashed = np.fromiter(shingles(text), dtype=np.uint64)
    if not len(hashed):
        return np.full(PERMUTATIONS, _EMPTY, dtype=np.uint32)
    with np.errstate(over="ignore"):
        mixed = _HASH_A[:, None] * hashed[None, :] + _HASH_B[:, None]  # mod 2^64: multiply-shift hashing
    signature: Signatures = (mixed >> np.uint64(32)).min(axis=1).astype(np.uint32)
    return signature


def jaccard_estimates(signature: Signatures, others: Signatures) -> npt.NDArray[np.float64]:
    """Estimated Jaccard similarity of one signature to each row of `others` (0 for empty texts)."""
    if not len(others):
        return np.zeros(0)
    if bool((signature == _EMPTY).all()):
        return np.zeros(len(others))
    estimates: npt.NDArray[np.float64] = (others.reshape(-1, PERMUTATIONS) == signature).mean(axis=1)
    return estimates


# -- narratives ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeParams:
    """`jaccard`: estimated shingle overlap from which a post is a copy of a kept text; `cosine`:
    similarity to a narrative's centroid from which a post that is not a copy still joins it;
    `max_signatures`: how many member texts a narrative keeps for copy detection."""

    jaccard: float = 0.5
    cosine: float = 0.85
    max_signatures: int = 16


@dataclass(frozen=True)
class Narrative:
    """Posts that repeat one claim (or, with `claim_id` None, near-copies of one unmatched post)."""

    id: str
    claim_id: str | None
    item_ids: tuple[str, ...]
    vector_sum: Vectors = field(compare=False, repr=False)
    signatures: Signatures = field(compare=False, repr=False)
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    sources: tuple[tuple[str, int], ...] = ()

    @property
    def size(self) -> int:
        return len(self.item_ids)

    @property
    def centroid(self) -> Vectors:
        return _unit(self.vector_sum)

    def to_dict(self) -> dict[str, object]:
        """The record of `narratives list --format json` (item ids are the items' guids)."""
        return {
            "id": self.id,
            "claim_id": self.claim_id,
            "count": self.size,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "sources": dict(self.sources),
            "items": list(self.item_ids),
        }


@dataclass(frozen=True)
class NarrativeAssignment:
    """Where `assign` put an item: the narrative as it is now, whether it was opened for this item,
    why (`copy`, `similar` or `new`) and the similarity that decided (Jaccard estimate or cosine)."""

    narrative: Narrative
    created: bool
    reason: str
    similarity: float


def narrative_id(first_item_id: str) -> str:
    return _stable_id("n", first_item_id)


def _open(item: ClusterItem, signature: Signatures) -> Narrative:
    published = _naive_utc(item.published)
    return Narrative(
        id=narrative_id(item.id),
        claim_id=item.claim_id,
        item_ids=(item.id,),
        vector_sum=item.vector.astype(np.float32).copy(),
        signatures=signature.reshape(1, PERMUTATIONS).copy(),
        first_seen=published,
        last_seen=published,
        sources=((item.source, 1),),
    )


def _join(narrative: Narrative, item: ClusterItem, signature: Signatures, keep: bool) -> Narrative:
    published = _naive_utc(item.published)
    signatures = np.vstack([narrative.signatures, signature]) if keep else narrative.signatures
    return replace(
        narrative,
        item_ids=(*narrative.item_ids, item.id),
        vector_sum=(narrative.vector_sum + item.vector).astype(np.float32),
        signatures=signatures,
        first_seen=_earliest(narrative.first_seen, published),
        last_seen=_latest(narrative.last_seen, published),
        sources=_add_sources(narrative.sources, ((item.source, 1),)),
    )


def _decide(
    vector: Vectors,
    signature: Signatures,
    centroids: Vectors,
    signatures: Signatures,
    owners: npt.NDArray[np.intp],
    params: NarrativeParams,
) -> tuple[int | None, str, float]:
    """(index of the narrative to join or None, reason, similarity): a copy first, then the closest
    centroid. `signatures[k]` belongs to narrative `owners[k]`."""
    if len(owners):
        overlap = jaccard_estimates(signature, signatures)
        best = int(np.argmax(overlap))
        if overlap[best] >= params.jaccard:
            return int(owners[best]), "copy", float(overlap[best])
    if len(centroids):
        cosines = centroids @ vector
        best = int(np.argmax(cosines))
        if cosines[best] >= params.cosine:
            return best, "similar", float(cosines[best])
    return None, "new", 0.0


def assign(
    item: ClusterItem, narratives: Sequence[Narrative], params: NarrativeParams = NarrativeParams()
) -> NarrativeAssignment:
    """Put one new item into a narrative of its claim, or open one. Only the narratives of the item's
    claim are compared (pass those of that claim; others are ignored); cost: their count × dimension."""
    own = [n for n in narratives if n.claim_id == item.claim_id]
    signature = minhash(item.text)
    sums = (
        np.vstack([n.vector_sum for n in own]) if own else np.zeros((0, len(item.vector)), dtype=np.float32)
    )
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    signatures = (
        np.vstack([n.signatures for n in own]) if own else np.zeros((0, PERMUTATIONS), dtype=np.uint32)
    )
    owners = np.repeat(np.arange(len(own)), [len(n.signatures) for n in own]).astype(np.intp)
    index, reason, similarity = _decide(item.vector, signature, centroids, signatures, owners, params)
    if index is None:
        return NarrativeAssignment(_open(item, signature), True, reason, similarity)
    chosen = own[index]
    keep = reason != "copy" and len(chosen.signatures) < params.max_signatures
    return NarrativeAssignment(_join(chosen, item, signature, keep), False, reason, similarity)


class _ClaimGroups:
    """The narratives of one claim during a rebuild: growing arrays and member lists, turned into
    frozen values once at the end (no per-item copies)."""

    def __init__(self, claim_id: str | None, dim: int) -> None:
        self.claim_id = claim_id
        self.members: list[list[ClusterItem]] = []
        self.kept: list[list[Signatures]] = []
        self.sums = np.zeros((8, dim), dtype=np.float32)
        self.centroids = np.zeros((8, dim), dtype=np.float32)
        self.signatures = np.zeros((8, PERMUTATIONS), dtype=np.uint32)
        self.owners = np.zeros(8, dtype=np.intp)
        self.n_signatures = 0

    def keep_signature(self, owner: int, signature: Signatures) -> None:
        if self.n_signatures == len(self.signatures):
            self.signatures = np.vstack([self.signatures, np.zeros_like(self.signatures)])
            self.owners = np.concatenate([self.owners, np.zeros_like(self.owners)])
        self.signatures[self.n_signatures] = signature
        self.owners[self.n_signatures] = owner
        self.n_signatures += 1
        self.kept[owner].append(signature)

    def place(self, item: ClusterItem, params: NarrativeParams) -> None:
        signature = minhash(item.text)
        k = len(self.members)
        n = self.n_signatures
        index, reason, _ = _decide(
            item.vector, signature, self.centroids[:k], self.signatures[:n], self.owners[:n], params
        )
        if index is None:
            if k == len(self.sums):
                self.sums = np.vstack([self.sums, np.zeros_like(self.sums)])
                self.centroids = np.vstack([self.centroids, np.zeros_like(self.centroids)])
            index = k
            self.members.append([item])
            self.kept.append([])
            self.sums[index] = item.vector
            self.keep_signature(index, signature)
        else:
            self.members[index].append(item)
            self.sums[index] += item.vector
            if reason != "copy" and len(self.kept[index]) < params.max_signatures:
                self.keep_signature(index, signature)
        self.centroids[index] = _unit(self.sums[index])

    def narratives(self) -> list[Narrative]:
        found = []
        for index, members in enumerate(self.members):
            times = [t for t in (_naive_utc(m.published) for m in members) if t is not None]
            found.append(
                Narrative(
                    id=narrative_id(members[0].id),
                    claim_id=self.claim_id,
                    item_ids=tuple(m.id for m in members),
                    vector_sum=self.sums[index].copy(),
                    signatures=np.vstack(self.kept[index]),
                    first_seen=min(times) if times else None,
                    last_seen=max(times) if times else None,
                    sources=_add_sources((), ((m.source, 1) for m in members)),
                )
            )
        return found


def group_narratives(
    items: Iterable[ClusterItem], params: NarrativeParams = NarrativeParams()
) -> tuple[Narrative, ...]:
    """The full rebuild: every item assigned in time order by the rule of `assign` (same result as
    folding `assign` over them), largest narratives first."""
    groups: dict[str | None, _ClaimGroups] = {}
    for item in _time_order(items):
        if item.claim_id not in groups:
            groups[item.claim_id] = _ClaimGroups(item.claim_id, len(item.vector))
        groups[item.claim_id].place(item, params)
    found = [n for g in groups.values() for n in g.narratives()]
    return tuple(sorted(found, key=lambda n: (-n.size, n.id)))


def narrative_from_items(
    items: Sequence[ClusterItem],
    *,
    claim_id: str | None,
    keep_id: str | None = None,
    params: NarrativeParams = NarrativeParams(),
) -> Narrative:
    """One narrative of exactly these items (after a split, or rebuilt from stored items); `keep_id`
    names it, else the id comes from its first item."""
    if not items:
        raise ValueError("a narrative needs at least one item")
    ordered = _time_order(items)
    signatures: list[Signatures] = []
    for item in ordered:
        signature = minhash(item.text)
        stack = np.asarray(signatures, dtype=np.uint32).reshape(-1, PERMUTATIONS)
        is_copy = len(signatures) and jaccard_estimates(signature, stack).max() >= params.jaccard
        if not is_copy and len(signatures) < params.max_signatures:
            signatures.append(signature)
    times = [t for t in (_naive_utc(i.published) for i in ordered) if t is not None]
    return Narrative(
        id=keep_id or narrative_id(ordered[0].id),
        claim_id=claim_id,
        item_ids=tuple(i.id for i in ordered),
        vector_sum=np.sum([i.vector for i in ordered], axis=0).astype(np.float32),
        signatures=np.asarray(signatures, dtype=np.uint32).reshape(-1, PERMUTATIONS),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        sources=_add_sources((), ((i.source, 1) for i in ordered)),
    )


def split_narrative(
    narrative: Narrative,
    members: Sequence[ClusterItem],
    move: Collection[str],
    params: NarrativeParams = NarrativeParams(),
) -> tuple[Narrative, Narrative]:
    """A person's split: the items `move` leave `narrative` for a new one. `members` are the
    narrative's items (with vectors). Returns (what stays, under the old id; the new narrative)."""
    by_id = {m.id: m for m in members}
    if set(narrative.item_ids) - by_id.keys():
        raise ValueError("members must include every item of the narrative")
    moving = [by_id[i] for i in narrative.item_ids if i in move]
    staying = [by_id[i] for i in narrative.item_ids if i not in move]
    if not moving or not staying:
        raise ValueError("a split moves some, but not all, of the narrative's items")
    return (
        narrative_from_items(staying, claim_id=narrative.claim_id, keep_id=narrative.id, params=params),
        narrative_from_items(moving, claim_id=narrative.claim_id, params=params),
    )


def merge_narratives(
    target: Narrative, other: Narrative, params: NarrativeParams = NarrativeParams()
) -> Narrative:
    """A person's merge: `other`'s items join `target`, which keeps its id and claim."""
    if target.id == other.id:
        raise ValueError("a narrative cannot be merged with itself")
    known = set(target.item_ids)
    room = max(0, params.max_signatures - len(target.signatures))
    return replace(
        target,
        item_ids=(*target.item_ids, *(i for i in other.item_ids if i not in known)),
        vector_sum=(target.vector_sum + other.vector_sum).astype(np.float32),
        signatures=np.vstack([target.signatures, other.signatures[:room]]),
        first_seen=_earliest(target.first_seen, other.first_seen),
        last_seen=_latest(target.last_seen, other.last_seen),
        sources=_add_sources(target.sources, other.sources),
    )


# -- emerging myths -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmergingParams:
    """`distance`: average-linkage cosine distance below which groups merge; `min_size`: smaller
    clusters are noise; `window`: only items published (or, undated, kept) within it before `now`;
    `assign_cosine`: similarity to a centroid from which a new item joins a cluster; `exact_limit`:
    up to this many items are clustered exactly (memory grows with its square), beyond it the newest
    `exact_limit` are clustered and the older ones join those clusters by `assign_cosine`. The
    defaults were tuned on the real corpus's training sources for the fusion encoder (bench/clustering.py,
    docs/benchmarks.md "Narratives and emerging myths")."""

    distance: float = 0.65
    min_size: int = 3
    window: dt.timedelta | None = dt.timedelta(days=14)
    assign_cosine: float = 0.5
    typical: int = 3
    keywords: int = 8
    exact_limit: int = 3000


@dataclass(frozen=True)
class EmergingCluster:
    """Unmatched flagged posts that say one thing: a candidate for a new pair."""

    id: str
    item_ids: tuple[str, ...]
    vector_sum: Vectors = field(compare=False, repr=False)
    typical: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    sources: tuple[tuple[str, int], ...] = ()

    @property
    def size(self) -> int:
        return len(self.item_ids)

    @property
    def centroid(self) -> Vectors:
        return _unit(self.vector_sum)

    def to_dict(self) -> dict[str, object]:
        """The record of `narratives emerging --format json`."""
        return {
            "id": self.id,
            "size": self.size,
            "typical": list(self.typical),
            "keywords": list(self.keywords),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "sources": dict(self.sources),
            "items": list(self.item_ids),
        }


@dataclass(frozen=True)
class EmergingResult:
    """Clusters (largest first), the window's items in none of them, and how many were too old."""

    clusters: tuple[EmergingCluster, ...]
    unclustered: tuple[str, ...]
    outside_window: int


@dataclass(frozen=True)
class EmergingAssignment:
    """The cluster a new item joined (as it is now) and its cosine to the old centroid; `cluster` is
    None when no centroid is close enough (the item waits for the next `find_emerging`)."""

    cluster: EmergingCluster | None
    similarity: float


def _in_window(
    items: Sequence[ClusterItem], now: dt.datetime, window: dt.timedelta | None
) -> list[ClusterItem]:
    if window is None:
        return list(items)
    start = now if now.tzinfo is None else now.astimezone(dt.UTC).replace(tzinfo=None)
    oldest = start - window
    return [i for i in items if (p := _naive_utc(i.published)) is None or oldest <= p <= start]


def _agglomerative(vectors: Vectors, distance: float) -> npt.NDArray[np.intp]:
    """Average-linkage clusters cut at `distance` (cosine distance): scipy's linkage, the one that
    scikit-learn's AgglomerativeClustering runs, on distances from one matrix product (unit rows),
    which is about 15 times faster than scipy's own cosine pdist."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.intp)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    distances = np.clip(1.0 - (unit @ unit.T).astype(np.float64), 0.0, 2.0)
    distances = (distances + distances.T) / 2
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    labels: npt.NDArray[np.intp] = (
        np.asarray(fcluster(tree, distance, criterion="distance"), dtype=np.intp) - 1
    )
    return labels


def cluster_labels(vectors: Vectors, params: EmergingParams = EmergingParams()) -> npt.NDArray[np.intp]:
    """A cluster number per row, -1 for noise (clusters below `min_size`). Rows are taken oldest
    first: beyond `exact_limit` the last (newest) rows are clustered and the others assigned."""
    n = len(vectors)
    labels = np.full(n, -1, dtype=np.intp)
    if n == 0:
        return labels
    core = np.arange(max(0, n - params.exact_limit), n)
    core_labels = _agglomerative(vectors[core], params.distance)
    sizes = np.bincount(core_labels)
    keep = np.flatnonzero(sizes >= min(params.min_size, 2))
    remap = np.full(len(sizes), -1, dtype=np.intp)
    remap[keep] = np.arange(len(keep))
    labels[core] = remap[core_labels]
    rest = np.arange(0, max(0, n - params.exact_limit))
    if len(rest) and len(keep):
        sums = np.zeros((len(keep), vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, labels[core][labels[core] >= 0], vectors[core][labels[core] >= 0])
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        for start in range(0, len(rest), 8192):
            chunk = rest[start : start + 8192]
            cosines = vectors[chunk] @ centroids.T
            best = cosines.argmax(axis=1)
            labels[chunk] = np.where(cosines[np.arange(len(chunk)), best] >= params.assign_cosine, best, -1)
    counts = np.bincount(labels[labels >= 0], minlength=len(keep))
    small = np.flatnonzero(counts < params.min_size)
    labels[np.isin(labels, small)] = -1
    return labels


def find_emerging(
    items: Sequence[ClusterItem], *, now: dt.datetime, params: EmergingParams = EmergingParams()
) -> EmergingResult:
    """Cluster the unmatched flagged items of the window (the full rebuild)."""
    recent = _time_order(_in_window(items, now, params.window))
    vectors = (
        np.vstack([i.vector for i in recent]).astype(np.float32)
        if recent
        else np.zeros((0, 1), dtype=np.float32)
    )
    labels = cluster_labels(vectors, params)
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        if label >= 0:
            groups.setdefault(int(label), []).append(row)
    noise = [recent[r] for r in np.flatnonzero(labels < 0)]
    members = [[recent[r] for r in rows] for rows in groups.values()]
    words = keywords_by_cluster(
        [[m.text for m in group] for group in members], [i.text for i in noise], top=params.keywords
    )
    clusters = [
        _describe(group, vectors[rows], kws, params.typical)
        for group, rows, kws in zip(members, groups.values(), words, strict=True)
    ]
    clusters.sort(key=lambda c: (-c.size, c.id))
    return EmergingResult(tuple(clusters), tuple(i.id for i in noise), len(items) - len(recent))


def _describe(
    members: Sequence[ClusterItem], vectors: Vectors, keywords: Sequence[str], typical: int
) -> EmergingCluster:
    total = vectors.sum(axis=0).astype(np.float32)
    order = np.argsort(-(vectors @ _unit(total)), kind="stable")
    texts: list[str] = []
    seen: set[str] = set()
    for row in order:
        text = " ".join(members[int(row)].text.split())
        key = " ".join(_WORD.findall(for_models(text).casefold()))
        if key not in seen:
            seen.add(key)
            texts.append(text)
        if len(texts) == typical:
            break
    times = [t for t in (_naive_utc(m.published) for m in members) if t is not None]
    return EmergingCluster(
        id=_stable_id("e", members[0].id),
        item_ids=tuple(m.id for m in members),
        vector_sum=total,
        typical=tuple(texts),
        keywords=tuple(keywords),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        sources=_add_sources((), ((m.source, 1) for m in members)),
    )


def assign_emerging(
    item: ClusterItem, clusters: Sequence[EmergingCluster], params: EmergingParams = EmergingParams()
) -> EmergingAssignment:
    """Join a new unmatched flagged item to the closest cluster when its cosine to that centroid
    reaches `assign_cosine`; typical posts and keywords stay until the next `find_emerging`."""
    if not clusters:
        return EmergingAssignment(None, 0.0)
    cosines = np.vstack([c.centroid for c in clusters]) @ item.vector
    best = int(np.argmax(cosines))
    similarity = float(cosines[best])
    if similarity < params.assign_cosine:
        return EmergingAssignment(None, similarity)
    chosen = clusters[best]
    published = _naive_utc(item.published)
    joined = replace(
        chosen,
        item_ids=(*chosen.item_ids, item.id),
        vector_sum=(chosen.vector_sum + item.vector).astype(np.float32),
        first_seen=_earliest(chosen.first_seen, published),
        last_seen=_latest(chosen.last_seen, published),
        sources=_add_sources(chosen.sources, ((item.source, 1),)),
    )
    return EmergingAssignment(joined, similarity)


def carry_ids(
    clusters: Sequence[EmergingCluster], previous: Sequence[EmergingCluster], min_overlap: float = 0.5
) -> tuple[EmergingCluster, ...]:
    """Give each re-formed cluster the id of the earlier cluster it mostly is (Jaccard of members
    at least `min_overlap`, each earlier id used once), so an editor's view survives a rebuild."""
    taken: set[str] = set()
    result = []
    for cluster in clusters:
        mine = set(cluster.item_ids)
        best_id, best = None, min_overlap
        for old in previous:
            if old.id in taken:
                continue
            theirs = set(old.item_ids)
            overlap = len(mine & theirs) / len(mine | theirs)
            if overlap >= best:
                best_id, best = old.id, overlap
        if best_id is not None:
            taken.add(best_id)
            cluster = replace(cluster, id=best_id)
        result.append(cluster)
    return tuple(result)


# -- keywords ----------------------------------------------------------------------------------------


def keywords_by_cluster(
    clusters: Sequence[Sequence[str]], rest: Sequence[str] = (), *, top: int = 8
) -> list[tuple[str, ...]]:
    """Per cluster the words that set it apart: class-based TF-IDF (each cluster one document, the
    `rest` one more), tf = a word's share of the cluster's words, idf = log(1 + mean words per class /
    the word's count over all classes). A word must occur in two posts of a cluster of two or more."""
    classes = [*clusters, rest]
    counts: list[Counter[str]] = []
    posts_with: list[Counter[str]] = []
    for texts in classes:
        words: Counter[str] = Counter()
        docs: Counter[str] = Counter()
        for text in texts:
            tokens = [w for w in _LETTERS.findall(for_models(text).casefold()) if w not in STOP_WORDS]
            words.update(tokens)
            docs.update(set(tokens))
        counts.append(words)
        posts_with.append(docs)
    overall: Counter[str] = Counter()
    for words in counts:
        overall.update(words)
    mean_words = sum(overall.values()) / max(len(classes), 1)
    result = []
    for texts, words, docs in zip(clusters, counts[:-1], posts_with[:-1], strict=True):
        total = sum(words.values()) or 1
        need = 2 if len(texts) >= 2 else 1
        scored = [
            (n / total * math.log(1 + mean_words / overall[w]), w)
            for w, n in words.items()
            if docs[w] >= need
        ]
        scored.sort(key=lambda sw: (-sw[0], sw[1]))
        result.append(tuple(w for _, w in scored[:top]))
    return result


_GERMAN_STOP_WORDS = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
andern anders auch auf aus bei bin bis bist da damit dann das dass daß dasselbe dazu dein deine deinem
deinen deiner deines dem demselben den denn denselben der derer derselbe derselben des desselben dessen
dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem
einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer eure eurem
euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen
ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener
jenes jetzt kann kein keine keinem keinen keiner keines können könnte machen man manche manchem manchen
mancher manches mein meine meinem meinen meiner meines mich mir mit muss musste nach nicht nichts noch
nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie ihnen sind so solche
solchem solchen solcher solches soll sollte sondern sonst über um und uns unsere unserem unseren unser
unseres unter viel vom von vor während war waren warst was weg weil weiter welche welchem welchen
welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum
zur zwar zwischen schon mal ganz gibt gar immer ja nein eben halt wohl denen wer wurde wurden worden
sei seien beim mehr ab hat's gehen geht sagt sagen jahr jahre heute neue neuen via amp lbr http https
"""
_ENGLISH_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves also get got like one said says new via amp http https rt
"""
STOP_WORDS = frozenset((_GERMAN_STOP_WORDS + _ENGLISH_STOP_WORDS).split())
