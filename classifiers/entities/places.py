"""Countries and cities named in an ad, from the gazetteer in ``config/places.yml``.

``place`` entities: value is the ISO 3166 code ("CA") for a country, "City, CC" for a city
("Dubai, AE"); attrs: country, kind ("country" or "city"). See the gazetteer's header for
which names are matched in which language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from classifiers.entities.config import PLACES_FILE, EntityConfigError, Places, load_places
from classifiers.entities.scan import Scan, fold
from classifiers.nlp import LANGUAGES
from core.ad import Entity

_WORD = re.compile(r"[^\W\d_]+")
_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")
_FLAG_LETTER = re.compile("[\U0001f1e6-\U0001f1ff]")  # a quicker test than _FLAG
# The next word of a name: at most three characters between ("St. Lucia"), no line break.
_NEXT_WORD = re.compile(r"[^\w\n]{1,3}([^\W\d_]+)")
_LINGUA_FRANCA = "en"


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    value: str
    country: str
    kind: str


@dataclass
class Gazetteer:
    places: Places
    _index: dict[str, dict[str, list[_Name]]] = field(default_factory=dict)

    def index(self, lang: str) -> dict[str, list[_Name]]:
        """Names for an ad in ``lang``, by their first word, longest first."""
        if lang not in self._index:
            self._index[lang] = self._build(lang)
        return self._index[lang]

    def _build(self, lang: str) -> dict[str, list[_Name]]:
        langs = {lang, _LINGUA_FRANCA} if lang in LANGUAGES else set(LANGUAGES)
        names: dict[tuple[str, ...], _Name] = {}

        def add(text: str, value: str, country: str, kind: str) -> None:
            words = tuple(_WORD.findall(fold(text)))
            if not words:
                raise EntityConfigError(f"places: {country} has a name without letters: {text!r}")
            known = names.get(words)
            if known is not None and known.value != value:
                raise EntityConfigError(
                    f"places: {text!r} names both {known.value} and {value}; "
                    "keep it under one of them"
                )
            names[words] = _Name(words, value, country, kind)

        for code, country in self.places.countries.items():
            for name_lang in sorted(langs):
                for name in country.names(name_lang):
                    add(name, code, code, "country")
            for city, others in country.cities.items():
                for name in (city, *others):
                    add(name, f"{city}, {code}", code, "city")
        index: dict[str, list[_Name]] = {}
        for entry in names.values():
            index.setdefault(entry.words[0], []).append(entry)
        for entries in index.values():
            entries.sort(key=lambda n: len(n.words), reverse=True)
        return index


@lru_cache(maxsize=4)
def _gazetteer(path: Path, _stamp: int) -> Gazetteer:
    return Gazetteer(load_places(path))


def load_gazetteer(path: Path = PLACES_FILE) -> Gazetteer:
    """The gazetteer in ``path``, read again when the file changes."""
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise EntityConfigError(f"places file not found: {path}") from exc
    return _gazetteer(path.resolve(), stamp)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """``config/places.yml``, read once per process (checking the file for every ad would
    cost more than matching it)."""
    return load_gazetteer()


def find_places(scan: Scan, gazetteer: Gazetteer | None = None) -> list[Entity]:
    gazetteer = gazetteer or default_gazetteer()
    index = gazetteer.index(scan.lang)
    text = scan.folded
    hits: list[tuple[int, int, _Name]] = []
    # Only the first words the ad contains are looked up: far cheaper than a pattern with
    # hundreds of names tried at every character.
    for first in scan.word_set & index.keys():
        for m in _word_end(first).finditer(text):
            at, end = m.span()
            if _edge(text, at - 1):
                hit = _match(index[first], text, end)
                if hit is not None:
                    hits.append((at, hit[0], hit[1]))
    found: list[Entity] = []
    if len(hits) > 1:
        hits.sort(key=_longest_first)
    for start, end, name in hits:
        if scan.free(start, end):
            attrs = {"country": name.country, "kind": name.kind}
            found.append(scan.entity("place", name.value, start, end, attrs))
            scan.claim(start, end)
    if _FLAG_LETTER.search(scan.original):
        found.extend(_flags(scan.original, gazetteer))
    return found


def _longest_first(hit: tuple[int, int, _Name]) -> tuple[int, int]:
    return hit[0], hit[0] - hit[1]


def _flags(original: str, gazetteer: Gazetteer) -> list[Entity]:
    """Flag emoji ("🇨🇦") of the countries in the gazetteer."""
    found = []
    for m in _FLAG.finditer(original):
        code = "".join(chr(ord("A") + ord(c) - 0x1F1E6) for c in m.group())
        if code in gazetteer.places.countries:
            attrs = {"country": code, "kind": "country", "flag": True}
            found.append(Entity("place", code, m.start(), m.end(), m.group(), attrs))
    return found


@lru_cache(maxsize=4096)
def _word_end(word: str) -> re.Pattern[str]:
    """``word`` not followed by a letter. It starts with a literal, so the regex engine
    jumps from one occurrence to the next ("la" in Spanish text is everywhere)."""
    return re.compile(re.escape(word) + r"(?![^\W\d_])")


def _edge(text: str, i: int) -> bool:
    return i < 0 or i >= len(text) or not text[i].isalpha()


def _match(candidates: list[_Name], text: str, pos: int) -> tuple[int, _Name] | None:
    """(end, name): the longest name whose first word ends at ``pos``."""
    # The words after ``pos`` (with where each ends), read once for all the candidates.
    following: list[tuple[str, int]] = []
    more = True
    for name in candidates:
        wanted = len(name.words) - 1
        while more and len(following) < wanted:
            m = _NEXT_WORD.match(text, following[-1][1] if following else pos)
            if m is None:
                more = False
            else:
                following.append((m.group(1), m.end()))
        if len(following) < wanted:
            continue
        for i in range(wanted):
            if following[i][0] != name.words[i + 1]:
                break
        else:
            return (following[wanted - 1][1] if wanted else pos), name
    return None
