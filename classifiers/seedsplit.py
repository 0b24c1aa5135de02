"""Making the fixed train/validation/test split of the bundled seed corpus (run once by
``scripts/make_seed_split.py``; the result is committed as ``classifiers/seed/split.json``).

Stratified by language, label and kind, about 70/15/15. Near-duplicate ads (the same lure
template posted for another country) always land in the same part: otherwise the test part
would hold near-copies of training ads and flatter the model. Ads already in an existing
split keep their part, so test figures stay comparable as the corpus grows.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from classifiers.corpus import PARTS, TEST, TRAIN, VALIDATION, LabelledAd
from classifiers.errors import CorpusError

SHARES = {TRAIN: 0.70, VALIDATION: 0.15, TEST: 0.15}
# Jaccard similarity of character 5-gram sets. Template variants of one ad score 0.5-0.8,
# unrelated ads of the same kind stay below 0.3; grouping from 0.3 keeps a margin.
NEAR_DUPLICATE = 0.5
GROUP_AT = 0.3
SHINGLE = 5


def shingle_text(ad: LabelledAd) -> str:
    return " ".join(f"{ad.title} {ad.text}".casefold().split())


def similarity_matrix(ads: Sequence[LabelledAd]) -> np.ndarray:
    """Pairwise Jaccard similarity of the ads' character shingle sets (diagonal zero)."""
    if len(ads) < 2:
        return np.zeros((len(ads), len(ads)))
    texts = [shingle_text(ad) for ad in ads]
    vectorizer = CountVectorizer(
        analyzer="char", ngram_range=(SHINGLE, SHINGLE), binary=True, lowercase=False
    )
    x = vectorizer.fit_transform(texts).astype(np.int32)
    inter = (x @ x.T).toarray().astype(np.float64)
    sizes = np.asarray(x.sum(axis=1), dtype=np.float64).ravel()
    union = sizes[:, None] + sizes[None, :] - inter
    sim = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    np.fill_diagonal(sim, 0.0)
    return sim


def near_duplicate_pairs(
    ads: Sequence[LabelledAd], threshold: float = NEAR_DUPLICATE
) -> list[tuple[str, str, float]]:
    """(id, id, similarity) for every pair at or above the threshold, most similar first."""
    sim = similarity_matrix(ads)
    rows, cols = np.nonzero(np.triu(sim >= threshold))
    pairs = [
        (ads[int(i)].id, ads[int(j)].id, round(float(sim[i, j]), 3))
        for i, j in zip(rows, cols, strict=True)
    ]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def near_duplicate_groups(
    ads: Sequence[LabelledAd], threshold: float = GROUP_AT
) -> list[list[LabelledAd]]:
    """Connected components of the "near-duplicate" relation, singletons included."""
    parent = list(range(len(ads)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sim = similarity_matrix(ads)
    for i, j in zip(*np.nonzero(np.triu(sim >= threshold)), strict=True):
        parent[root(int(i))] = root(int(j))
    members: dict[int, list[LabelledAd]] = defaultdict(list)
    for i, ad in enumerate(ads):
        members[root(i)].append(ad)
    return sorted(
        (sorted(group, key=lambda a: a.id) for group in members.values()), key=lambda g: g[0].id
    )


def stratum(ad: LabelledAd) -> tuple[str, int, str]:
    return (ad.lang or "", ad.label, ad.kind)


def _order(group: Sequence[LabelledAd]) -> str:
    return hashlib.sha256(("split\0" + group[0].id).encode()).hexdigest()


def make_split(
    ads: Sequence[LabelledAd], existing: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Part name -> sorted ids. Depends on the ads' content only, not their order.
    ``existing`` (id -> part) is kept: a new ad near-duplicating an assigned one joins its
    part, other new ads fill each stratum's shortfall against the 70/15/15 shares."""
    existing = dict(existing or {})
    ads = sorted(ads, key=lambda a: a.id)
    if len({a.id for a in ads}) != len(ads):
        raise CorpusError("the seed corpus has duplicate ids; fix them before splitting")
    assigned: dict[str, str] = {}
    counts: dict[tuple[str, int, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(PARTS, 0)
    )
    pending: list[list[LabelledAd]] = []
    for group in near_duplicate_groups(ads):
        known = {existing[a.id] for a in group if a.id in existing}
        if len(known) > 1:
            ids = ", ".join(a.id for a in group)
            raise CorpusError(f"near-duplicate ads {ids} are in different parts of the split")
        if known:
            _assign(group, known.pop(), assigned, counts)
        else:
            pending.append(group)
    for group in sorted(pending, key=lambda g: (stratum(g[0]), _order(g))):
        key = stratum(group[0])
        done = counts[key]
        after = sum(done.values()) + len(group)
        # The part furthest below its share once this group is placed; ties go to train.
        part = max(PARTS, key=lambda p: (SHARES[p] * after - done[p], -PARTS.index(p)))
        _assign(group, part, assigned, counts)
    return {part: sorted(i for i, p in assigned.items() if p == part) for part in PARTS}


def _assign(
    group: Sequence[LabelledAd],
    part: str,
    assigned: dict[str, str],
    counts: dict[tuple[str, int, str], dict[str, int]],
) -> None:
    for ad in group:
        assigned[ad.id] = part
        counts[stratum(ad)][part] += 1


def split_document(parts: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    return {
        "about": (
            "Fixed train/validation/test split of the bundled seed corpus, made by "
            "scripts/make_seed_split.py (stratified by language, label and kind; "
            f"near-duplicates, Jaccard >= {GROUP_AT} on character {SHINGLE}-grams, kept "
            "together). The test part is never used for training or threshold choice."
        ),
        **{part: list(parts[part]) for part in PARTS},
    }
