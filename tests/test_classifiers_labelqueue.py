"""The label queue: most uncertain ads first, never two near-copies in one batch."""

from __future__ import annotations

import random
import string

import pytest

from classifiers.labelqueue import (
    Candidate,
    LabelledText,
    NearDuplicateIndex,
    choose,
    jaccard,
    shingles,
)

AD_TEXTS = [
    "Hostesses wanted for a club in Dubai, flights and visa paid, girls 18 to 25, send photos",
    "Registered nurse for the general hospital in Castries, night shifts, licence required",
    "Farm workers needed in Ontario through the seasonal programme, no fees to workers",
    "Au pair for a family in Lyon, twelve months, language course included, agency licensed",
    "Models for a photo shoot abroad, no experience, apartment provided, contact Telegram only",
    "Cook for a beach resort in Punta Cana, staff housing, apply with your CV by email",
    "Cashier for the supermarket in Vieux Fort, weekday mornings, training on the job",
    "Dancers for a tour in Europe, we keep your passport safe, big money every week",
]


def ad(ad_id: str, text: str, score: float | None, **fields: object) -> Candidate:
    return Candidate(id=ad_id, text=text, lure_score=score, **fields)  # type: ignore[arg-type]


def distinct_ads(scores: list[float | None]) -> list[Candidate]:
    return [ad(f"ad-{i:02d}", AD_TEXTS[i], s) for i, s in enumerate(scores)]


def test_most_uncertain_first_and_unscored_last() -> None:
    ads = distinct_ads([0.95, 0.52, None, 0.10, 0.40, 0.71])
    picked = choose(ads, 6).picked
    assert [c.id for c in picked] == ["ad-01", "ad-04", "ad-05", "ad-03", "ad-00", "ad-02"]


def test_uncertainty_is_measured_from_each_models_threshold() -> None:
    ads = [
        ad("a", AD_TEXTS[0], 0.50, threshold=0.9),  # far below its model's threshold
        ad("b", AD_TEXTS[1], 0.31, threshold=0.3),  # right at it
        ad("c", AD_TEXTS[2], 0.60),  # default threshold 0.5
    ]
    assert [c.id for c in choose(ads, 3).picked] == ["b", "c", "a"]


def test_batch_size_is_respected() -> None:
    ads = distinct_ads([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    assert len(choose(ads, 3).picked) == 3
    assert len(choose(ads, 50).picked) == 8
    with pytest.raises(ValueError, match="at least 1"):
        choose(ads, 0)


def test_same_input_in_any_order_gives_the_same_batch_with_ties_by_id() -> None:
    ads = [ad(f"id-{i}", AD_TEXTS[i], 0.4 if i % 2 else 0.6) for i in range(8)]
    first = [c.id for c in choose(ads, 5).picked]
    shuffled = ads[:]
    random.Random(7).shuffle(shuffled)
    assert [c.id for c in choose(shuffled, 5).picked] == first
    assert first == ["id-0", "id-1", "id-2", "id-3", "id-4"]  # all tie at 0.1: by id


def copies_of(text: str) -> list[str]:
    """What reposted lures look like: another phone number, invisible characters, case."""
    return [
        text + " WhatsApp +1 758 555 0142",
        text + " WhatsApp +1 758 555 9981",
        text.upper().replace("DUBAI", "D\u200bUBAI") + " whatsapp +1 758 555 0000",
    ]


def test_near_copies_are_never_both_in_one_batch() -> None:
    ads: list[Candidate] = []
    for family, base in enumerate(AD_TEXTS[:4]):
        for n, text in enumerate(copies_of(base)):
            ads.append(ad(f"f{family}-{n}", text, 0.5 + 0.01 * n + 0.001 * family))
    result = choose(ads, 12)
    families = [c.id.split("-")[0] for c in result.picked]
    assert sorted(families) == ["f0", "f1", "f2", "f3"]  # one of each, the rest passed over
    assert result.near_duplicates == 8


def test_ads_sharing_a_template_but_not_near_copies_are_both_kept() -> None:
    shared = "Waiters wanted for our restaurant, good pay, apply today."
    a = ad("a", shared + " " + AD_TEXTS[1], 0.5)
    b = ad("b", shared + " " + AD_TEXTS[2], 0.5)
    assert jaccard(shingles("", a.text), shingles("", b.text)) < 0.8
    assert [c.id for c in choose([a, b], 2).picked] == ["a", "b"]


def test_labelled_ads_and_their_near_copies_are_not_queued() -> None:
    ads = distinct_ads([0.5, 0.5, 0.5, 0.5])
    copy = ad("copy-of-labelled", copies_of(AD_TEXTS[5])[0], 0.5)
    labelled = [
        LabelledText(id="ad-00", text=AD_TEXTS[0]),
        LabelledText(id="x", text=copies_of(AD_TEXTS[5])[1]),
    ]
    result = choose([*ads, copy], 10, labelled)
    assert [c.id for c in result.picked] == ["ad-01", "ad-02", "ad-03"]
    assert result.already_labelled == 1
    assert result.near_duplicates == 1


def test_batch_is_spread_over_languages_and_sites() -> None:
    ads = [ad(f"en-{i}", AD_TEXTS[i], 0.5 + i / 1000, lang="en", site="a") for i in range(6)]
    ads += [ad("es-0", AD_TEXTS[6], 0.6, lang="es", site="c")]
    ads += [ad("fr-0", AD_TEXTS[7], 0.7, lang="fr", site="b")]
    picked = [c.id for c in choose(ads, 4).picked]
    # Without the spread the batch would be en-0..en-3; each language gets a fair share.
    assert picked == ["en-0", "en-1", "es-0", "fr-0"]


def random_words(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(count)]


def test_prefix_filter_finds_exactly_what_a_full_comparison_finds() -> None:
    rng = random.Random(3)
    vocabulary = random_words(rng, 40)
    texts = [" ".join(rng.choices(vocabulary, k=rng.randint(2, 30))) for _ in range(300)]
    sets = [shingles("", t) for t in texts]
    for threshold in (0.5, 0.8):
        index = NearDuplicateIndex(threshold)
        for number, grams in enumerate(sets):
            brute = any(jaccard(grams, other) >= threshold for other in sets[:number])
            assert index.matches(grams) is brute, (threshold, number)
            index.add(grams)


@pytest.mark.timeout(120)
def test_large_store_batch_holds_one_of_each_repost_and_none_of_labelled_ones() -> None:
    rng = random.Random(5)
    vocabulary = random_words(rng, 5000)
    templates = [" ".join(rng.choices(vocabulary, k=60)) for _ in range(400)]
    ads = []
    for i in range(20_000):
        # Half the store is reposts of 400 ads: the batch must still hold no two of them.
        text = templates[i % 400] if i % 2 else " ".join(rng.choices(vocabulary, k=60))
        ads.append(ad(f"ad-{i:05d}", text, rng.random()))
    labelled = [LabelledText(id=f"l-{i}", text=templates[i]) for i in range(0, 400, 2)]
    result = choose(ads, 500, labelled)
    assert len(result.picked) == 500
    seen = [shingles("", c.text) for c in result.picked]
    index = NearDuplicateIndex()
    for grams in seen:
        assert not index.matches(grams)
        index.add(grams)
    template_sets = {i: shingles("", t) for i, t in enumerate(templates)}
    used = [i for i, t in template_sets.items() if t in set(seen)]
    assert used and all(i % 2 for i in used)  # reposts, but none of a labelled ad
