"""Language identification for short ads: en, es, fr, ht (Haitian Creole and Saint Lucian
Kwéyòl), pt, or "other".

Two cheap signals, both hand-checkable: function words typical of each language, and a
character-trigram profile per language built from the bundled seed corpus (when present).
No downloaded model. Short ads rarely carry enough text for trigrams alone, and the
function words separate close pairs (French/Creole, Spanish/Portuguese) that trigrams blur.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from classifiers.nlp import LANGUAGES, strip_accents

OTHER = "other"
SEED_DIR = Path(__file__).resolve().parent / "seed"

# Words frequent in ads of one language and rare in the others. Written without accents,
# since ads often drop them and the text is compared unaccented.
_FUNCTION_WORDS: dict[str, str] = {
    "en": """the and of to you your we our are is for with will be have this that from
        at on they their it an or who can must need needed work job apply now per month
        week day hour salary pay free call contact please experience ladies girls only
        abroad looking hiring required good into all any us my me what when which""",
    "es": """el los las del y que con para por una un se su sus es somos buscamos ofrecemos
        trabajo empleo sin experiencia mas mes al lo muy tambien usted te tu nosotros
        senoritas chicas sueldo dolares interesadas requisitos vacante escribenos hasta
        desde anos pago salario empresa trabajar buena horas dia semana nuestro nuestra
        ser este esta estos ellas ellos hay donde como""",
    "fr": """le les des du et avec pour par une vous votre vos nous notre est sont sur dans
        au aux ce cette pas sans travail emploi mois salaire jeunes filles femmes offre
        contactez postulez etre avoir tres aussi ou qui recherche recherchons entreprise
        heures jour semaine poste candidature envoyez ne plus chez leur leurs il elle
        on cherche recrute recrutons h/f je""",
    "ht": """mwen ou nou yo li pou ak nan sa yon pa gen ni ka kap ap te ki lan travay
        twavay lajan bay fe vin konnen peyi anpil pral kounye kounya kote tout bezwen
        bizwen fanm fi jenn moun cheche cheche dwe gason epi ek adan asou sou ba avek men
        chak mwa semen jou pyes paspo viza tike rele ekri voye fasil ijan touswit kob
        anboche anbotche lot bo dlo la se w m ke sel mache manje lekol on ou ka chereche""",
    "pt": """o os as da do das dos e em no na nos nas com para por uma um nao sao voce
        voces seu sua sem trabalho emprego mes salario experiencia mocas meninas mulheres
        vagas tambem muito ao aos pelo pela ate ja mais oferecemos procuramos contato
        chame ganhe empresa trabalhar horas dia semana isso essa esse onde como ela ele""",
}
# Words listed for several languages ("la", "de"...) count less: they say little.
_WORD_LANGS: dict[str, set[str]] = {}
for _lang, _words in _FUNCTION_WORDS.items():
    for _w in _words.split():
        _WORD_LANGS.setdefault(_w, set()).add(_lang)
_WORD_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    w: tuple((lang, 1.0 / len(langs)) for lang in sorted(langs)) for w, langs in _WORD_LANGS.items()
}

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_TRIGRAM_WEIGHT = 6.0
_WORD_WEIGHT = 1.0
_MIN_EVIDENCE = 0.08  # below this share of known words and a poor trigram fit: "other"
_MIN_TRIGRAM_FIT = -8.0


@dataclass(frozen=True)
class LanguageGuess:
    lang: str
    scores: dict[str, float]


class LanguageIdentifier:
    """Scores each language by function-word share plus mean trigram log-probability."""

    def __init__(self, profiles: dict[str, dict[str, float]] | None = None) -> None:
        self._profiles = profiles or {}
        self._floor = {
            lang: min(p.values(), default=-12.0) - 1.0 for lang, p in self._profiles.items()
        }

    @classmethod
    def from_texts(cls, texts: Iterable[tuple[str, str]], top: int = 3000) -> LanguageIdentifier:
        """Profiles from (lang, text) pairs: log-probabilities of the ``top`` trigrams."""
        counts: dict[str, Counter[str]] = {}
        for lang, text in texts:
            if lang in LANGUAGES:
                counts.setdefault(lang, Counter()).update(_trigrams(text))
        profiles = {}
        for lang, counter in counts.items():
            common = counter.most_common(top)
            total = sum(n for _, n in common)
            profiles[lang] = {g: math.log(n / total) for g, n in common}
        return cls(profiles)

    def guess(self, text: str) -> LanguageGuess:
        words = [strip_accents(w) for w in _WORD.findall(text.lower())]
        grams = _trigrams(text)
        shares = dict.fromkeys(LANGUAGES, 0.0)
        for w in words:
            for lang, weight in _WORD_WEIGHTS.get(w, ()):
                shares[lang] += weight
        n = max(1, len(words))
        fits = self._fits(grams)
        scores: dict[str, float] = {}
        for lang in LANGUAGES:
            fit = fits.get(lang)
            scores[lang] = _WORD_WEIGHT * shares[lang] / n + _TRIGRAM_WEIGHT * (
                fit / 10.0 if fit else 0.0
            )
        best_share = max(shares.values()) / n
        if not words or not _mostly_latin(words):
            return LanguageGuess(OTHER, scores)
        lang = max(LANGUAGES, key=lambda code: scores[code])
        fit = fits.get(lang)
        if best_share < _MIN_EVIDENCE and (fit is None or fit < _MIN_TRIGRAM_FIT):
            return LanguageGuess(OTHER, scores)
        return LanguageGuess(lang, scores)

    def identify(self, text: str) -> str:
        return self.guess(text).lang

    def _fit(self, lang: str, grams: list[str]) -> float | None:
        return self._fits(grams).get(lang)

    def _fits(self, grams: list[str]) -> dict[str, float]:
        """Mean trigram log-probability per language (languages with a profile)."""
        if not grams or not self._profiles:
            return {}
        counts = Counter(grams)
        out = {}
        for lang, profile in self._profiles.items():
            floor = self._floor[lang]
            out[lang] = sum(profile.get(g, floor) * c for g, c in counts.items()) / len(grams)
        return out


_NOT_LATIN = re.compile("[^\u0000-\u024f]")


def _mostly_latin(words: list[str]) -> bool:
    letters = "".join(words)
    return len(_NOT_LATIN.findall(letters)) * 2 < len(letters)


def _trigrams(text: str) -> list[str]:
    grams: list[str] = []
    for word in _WORD.findall(text.lower()):
        padded = f" {strip_accents(word)} "
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def seed_texts(seed_dir: Path = SEED_DIR) -> Iterable[tuple[str, str]]:
    """(lang, title + text) of the bundled seed corpus; bad lines are skipped here
    (the corpus loader reports them)."""
    for path in sorted(seed_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    row = json.loads(line)
                    yield str(row["lang"]), f"{row.get('title', '')} {row['text']}"
                except (ValueError, KeyError, TypeError):
                    continue


_default: LanguageIdentifier | None = None
_lock = threading.Lock()


def default_identifier() -> LanguageIdentifier:
    """The identifier with trigram profiles from the bundled seed corpus (built once)."""
    global _default
    with _lock:
        if _default is None:
            _default = LanguageIdentifier.from_texts(seed_texts())
        return _default


def identify(text: str) -> str:
    return default_identifier().identify(text)


def normalise_lang(code: str | None) -> str | None:
    """A language tag as given by a user or a page ("pt-BR", "en_US", "acf") → one of
    ours, "other", or None when empty."""
    if not code or not code.strip():
        return None
    base = re.split(r"[-_]", code.strip().lower())[0]
    aliases = {
        "hat": "ht",
        "acf": "ht",
        "gcf": "ht",
        "kwy": "ht",
        "eng": "en",
        "spa": "es",
        "fra": "fr",
        "fre": "fr",
        "por": "pt",
    }
    base = aliases.get(base, base)
    return base if base in LANGUAGES else OTHER
