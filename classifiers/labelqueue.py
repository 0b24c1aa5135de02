"""Which stored ads analysts should label next: the ones the model is least sure about, and
never two near-copies in one batch.

Uncertainty is the distance of an ad's calibrated lure score from the decision threshold of
the model version that scored it (``Candidate.threshold``; the caller reads it from that
version's ``meta.json`` and falls back to 0.5 when the version is unknown). Ads never scored
come after every scored one. Ties go by ad id, so the same store gives the same batch.

Diversity: word 3-shingles of the normalised title and text (NFKC, case-folded, invisible
characters dropped, every run of digits the same token so that copies differing only in a
phone number or wage still match); an ad whose shingle Jaccard similarity with an ad already
picked, or with an ad already labelled, is at least ``similarity`` is skipped. Similarity is
exact, found through a prefix-filter index (a pair at Jaccard >= t must share one of the first
``|s| - ceil(t|s|) + 1`` shingles of each set in a fixed order), so the walk compares each ad
only with the few indexed ads that could match instead of with every one.

Spread: within the most uncertain ``POOL_FACTOR * n`` ads, no language and no site takes more
than its fair share of the batch (n divided by the number of languages, or sites, in that
pool); ads held back by this come first when the batch still has room afterwards.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.5
NEAR_DUPLICATE = 0.8
SHINGLE_WORDS = 3
POOL_FACTOR = 5
_TOKEN = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
# Format characters (zero-width, bidi marks, soft hyphen, tag characters) are how copies
# dodge matching. The BMP and the tags block hold all that matter.
_FORMAT_CHARS = dict.fromkeys(
    c for c in (*range(0x10000), *range(0xE0000, 0xE0080)) if unicodedata.category(chr(c)) == "Cf"
)


@dataclass(frozen=True)
class Candidate:
    id: str
    text: str
    title: str = ""
    lure_score: float | None = None
    lang: str = ""
    site: str = ""
    url: str = ""
    model_version: str = ""
    threshold: float = DEFAULT_THRESHOLD

    @property
    def margin(self) -> float:
        """Distance of the score from the threshold: small means uncertain; unscored is inf."""
        if self.lure_score is None or math.isnan(self.lure_score):
            return math.inf
        return abs(self.lure_score - self.threshold)


@dataclass(frozen=True)
class LabelledText:
    """An ad someone already labelled: never queued again, nor anything close to it."""

    id: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class QueueResult:
    picked: list[Candidate]
    near_duplicates: int  # ads passed over as near-copies of one picked or labelled
    already_labelled: int  # candidates dropped because they carry a label


def choose(
    candidates: Iterable[Candidate],
    n: int,
    labelled: Iterable[LabelledText] = (),
    similarity: float = NEAR_DUPLICATE,
) -> QueueResult:
    """Up to ``n`` candidates, most uncertain first, none a near-copy of another or of a
    labelled ad (see the module docstring for the rules)."""
    if n < 1:
        raise ValueError(f"the batch size must be at least 1, got {n}")
    if not 0.0 < similarity <= 1.0:
        raise ValueError(f"similarity must be in (0, 1], got {similarity}")
    index = NearDuplicateIndex(similarity)
    done: set[str] = set()
    for ad in labelled:
        done.add(ad.id)
        index.add(shingles(ad.title, ad.text))
    everything = list(candidates)
    pending = [c for c in everything if c.id not in done]
    order = _unique_ids(sorted(pending, key=lambda c: (c.margin, c.id)))

    picked: list[Candidate] = []
    near = 0
    pool = order[: POOL_FACTOR * n]
    lang_cap = _fair_share(n, {c.lang for c in pool})
    site_cap = _fair_share(n, {c.site for c in pool})
    per_lang: Counter[str] = Counter()
    per_site: Counter[str] = Counter()
    held_back: list[Candidate] = []

    def take(candidate: Candidate) -> None:
        nonlocal near
        grams = shingles(candidate.title, candidate.text)
        if index.matches(grams):
            near += 1
            return
        index.add(grams)
        picked.append(candidate)
        per_lang[candidate.lang] += 1
        per_site[candidate.site] += 1

    for candidate in pool:
        if len(picked) == n:
            break
        if per_lang[candidate.lang] >= lang_cap or per_site[candidate.site] >= site_cap:
            held_back.append(candidate)
            continue
        take(candidate)
    for candidate in [*held_back, *order[len(pool) :]]:
        if len(picked) == n:
            break
        take(candidate)
    picked.sort(key=lambda c: (c.margin, c.id))  # held-back ads take their place in line
    return QueueResult(
        picked=picked, near_duplicates=near, already_labelled=len(everything) - len(pending)
    )


def _unique_ids(order: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out = []
    for candidate in order:
        if candidate.id not in seen:
            seen.add(candidate.id)
            out.append(candidate)
    return out


def _fair_share(n: int, groups: set[str]) -> int:
    return max(1, math.ceil(n / max(1, len(groups))))


def normalise_for_dedup(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FORMAT_CHARS)
    return _DIGITS.sub("0", folded)


def shingles(title: str, text: str) -> frozenset[int]:
    """Hashed word 3-shingles of title and text; a text shorter than three words is one
    shingle. Hashes are blake2b, not ``hash()``: the same in every process."""
    words = _TOKEN.findall(normalise_for_dedup(f"{title}\n{text}"))
    if not words:
        return frozenset()
    if len(words) < SHINGLE_WORDS:
        grams = [" ".join(words)]
    else:
        grams = [
            " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
        ]
    return frozenset(_hash(g) for g in grams)


def _hash(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


class NearDuplicateIndex:
    """Sets of shingles, found again by exact Jaccard >= ``threshold`` through prefix
    filtering: only sets sharing a prefix shingle and of a compatible size are compared."""

    def __init__(self, threshold: float = NEAR_DUPLICATE) -> None:
        self.threshold = threshold
        self._sets: list[frozenset[int]] = []
        self._postings: dict[int, list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._sets)

    def _prefix(self, grams: frozenset[int]) -> list[int]:
        # The tiny epsilon keeps 0.8 * 5 from rounding up to 5 through float error.
        keep = len(grams) - math.ceil(self.threshold * len(grams) - 1e-9) + 1
        return sorted(grams)[:keep]

    def add(self, grams: frozenset[int]) -> None:
        if not grams:
            return
        number = len(self._sets)
        self._sets.append(grams)
        for gram in self._prefix(grams):
            self._postings[gram].append(number)

    def matches(self, grams: frozenset[int]) -> bool:
        if not grams:
            return False
        size = len(grams)
        low, high = self.threshold * size - 1e-9, size / self.threshold + 1e-9
        checked: set[int] = set()
        for gram in self._prefix(grams):
            for number in self._postings.get(gram, ()):
                if number in checked:
                    continue
                checked.add(number)
                other = self._sets[number]
                if low <= len(other) <= high and jaccard(grams, other) >= self.threshold:
                    return True
        return False
