"""Language identification for short ads: en, es, fr, ht (Haitian Creole and Saint Lucian
Kwéyòl), pt, or "other".

Three cheap signals, all hand-checkable, no downloaded model:

- cue words typical of each language (function words and the commonest job-ad words) and of
  the neighbours we do not cover (German, Dutch, Italian, Tagalog), which vote "other";
- letters only one of our languages writes: "ñ", "¿", "¡" (es), "ã", "õ" (pt), "ò" (ht),
  "ß" (other);
- a character-trigram profile per language built from the bundled seed corpus.

Short ads rarely carry enough text for trigrams alone, and the cue words separate the close
pairs (French/Creole, Spanish/Portuguese) that trigrams blur. Text without letters (numbers,
emoji), mostly in a non-Latin script, or with too little evidence for any language is
"other". Only the first ``MAX_CHARS`` characters are read: the language of an ad shows in
its first lines, and the cost must stay far below the rest of classification (each word's
evidence is computed once and cached).

Measured on tests/data/lang_short.jsonl (short ads of 5-15 words, mixed-language ads, ads in
other languages, emoji and numbers): see tests/test_classifiers_language.py.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from classifiers.nlp import LANGUAGES, MAX_CACHED_WORD, strip_accents
from classifiers.runs import Runs

OTHER = "other"
SEED_DIR = Path(__file__).resolve().parent / "seed"
MAX_CHARS = 400

# Written without accents, since ads often drop them and words are compared unaccented.
# A word listed for several languages counts for each, split evenly.
_CUE_WORDS: dict[str, str] = {
    "en": """the and of to you your we our are is for with will be have this that from
        at on they their it an or who can must need needed work job jobs apply now per
        month week weekly day daily hour hourly salary pay paid free call contact please
        experience ladies girls only abroad looking hiring required good into all any us
        my me what when which wanted send start today staff shift hours own fast next
        within provided guaranteed overseas available reliable how get earn money pretty
        young quick needs don't it's we're you're i'm can't we'll you'll new great""",
    "es": """el los las del y que con para por una un se su sus es somos buscamos ofrecemos
        trabajo empleo sin experiencia mas mes al lo muy tambien usted te tu nosotros
        senoritas chicas sueldo dolares interesadas requisitos vacante escribenos hasta
        desde anos pago salario empresa trabajar buena horas dia semana nuestro nuestra
        ser este esta estos ellas ellos hay donde como busca buscan necesita necesitan
        necesitamos requiere ofrece llama llamar escribe gana ganar pasaje boleto
        hospedaje dinero plazas puesto empleadas mesera meseras cocineros limpieza hoy
        ya mil tus envia ninos ninas ninera muchachas jornaleros cosecha""",
    "fr": """le les des du et avec pour par une vous votre vos nous notre est sont sur dans
        au aux ce cette pas sans travail emploi mois salaire jeunes filles femmes offre
        contactez postulez etre avoir tres aussi ou qui recherche recherchons entreprise
        heures jour semaine poste candidature envoyez ne plus chez leur leurs il elle
        on cherche recrute recrutons h/f je etudiant etudiante etudiants cherchons
        embauche gagnez argent billet logement logee nourrie permis debutants urgence
        serveuse serveurs vendeuse chaque votre deux des l' d' j' qu' n' c' s'""",
    "ht": """mwen ou nou yo li pou ak nan sa yon pa gen ni ka kap ap te ki lan travay
        twavay lajan bay fe vin konnen peyi anpil pral kounye kounya kote tout bezwen
        bizwen fanm fi jenn moun cheche cheche dwe gason epi ek adan asou sou ba avek men
        chak mwa semen jou pyes paspo viza tike rele ekri voye fasil ijan touswit kob
        anboche anbotche lot bo dlo la se w m ke sel mache manje lekol on ou ka chereche
        lakay peye avyon otel lotel restoran biwo demen maten lannwit kach timoun gade
        depans kontak aplike menm konn zouti plis enfomasyon machann anplwaye lojman
        sezon chofe ant oswa papye sevez kizinye kwafez pwofese mekanisyen""",
    "pt": """o os as da do das dos e em no na nos nas com para por uma um nao sao voce
        voces seu sua sem trabalho emprego mes salario experiencia mocas meninas mulheres
        vagas tambem muito ao aos pelo pela ate ja mais oferecemos procuramos contato
        chame ganhe empresa trabalhar horas dia semana isso essa esse onde como ela ele
        precisa precisamos vaga meio moca dinheiro passagem moradia alimentacao hoje
        trabalhe ligue mande envie suas nossa nosso criancas baba garcom garcons
        garconete empregada cozinha escritorios noturno voces estamos""",
}
# Neighbours without patterns: their words vote "other". Words of ours are removed below.
_OTHER_WORDS = """
    und der die das den dem des ein eine einen einem einer fur mit ist sind nicht wir sie
    ihr ihre unser unsere unseren sich auch oder aber bei auf aus nach zum zur im vom wird
    werden kein keine jetzt schnell viel geld sehr gesucht suchen arbeit arbeiten erfahrung
    bezahlung gute guten stelle bewerben bewerbung notig flug ausland lohn gehalt monat
    woche stunden frauen junge fahrer verdienen saison buro bezahlt
    het een wij zijn niet ook voor van naar bij met uit aan nu geen nodig zoeken gezocht
    werk werken ons onze jullie uw snel veel betaald buitenland reis kantoor ervaring
    solliciteer meiden jonge beginnen verdien uur maand salaris loon
    il lo gli della delle dello degli dei nel nella nelle negli sul sulla alla alle allo
    agli sono siamo cerchiamo cercasi offriamo nostro nostra nostri vostro lavoro lavorare
    esperienza richiesta richiesto ottima ottimo subito soldi guadagna guadagnare molti
    molto stagione pulizie uffici biglietto ragazze ragazzi giovani anni anche piu perche
    essere avere candidati stipendio settimana mese giorno orario presso azienda contratto
    retribuzione inviare chiamare autisti patente addetta addetto nessuna nessun all'
    dell' nell' sull' dall' un'
    ng mga ang kami kayo tayo ako ikaw siya sila namin natin ninyo ito iyan yan may
    mayroon wala walang hindi kung dahil lang po naman din rin ay kailangan naghahanap
    hanap trabaho ibang bansa ngayon magandang maganda magaganda pera agad kumita sahod
    libre opisina gabi pasok dalagang karanasan mag tagalinis kasambahay drayber lisensya
"""
_LETTER_CUES = {"ñ": "es", "¿": "es", "¡": "es", "ã": "pt", "õ": "pt", "ò": "ht", "ß": OTHER}

_K = len(LANGUAGES)
_INDEX = {lang: i for i, lang in enumerate(LANGUAGES)}
_OTHER_AT = _K  # the "other" vote sits after the languages' votes
_LETTER_AT = [
    (letter, _OTHER_AT if lang == OTHER else _INDEX[lang]) for letter, lang in _LETTER_CUES.items()
]


def _word_votes() -> dict[str, tuple[float, ...]]:
    langs: dict[str, set[str]] = {}
    for lang, words in _CUE_WORDS.items():
        for w in words.split():
            langs.setdefault(strip_accents(w), set()).add(lang)
    votes = {}
    for w, owners in langs.items():
        vote = [0.0] * (_K + 1)
        for lang in owners:
            vote[_INDEX[lang]] = 1.0 / len(owners)
        votes[w] = tuple(vote)
    for w in _OTHER_WORDS.split():
        if w not in votes:
            vote = [0.0] * (_K + 1)
            vote[_OTHER_AT] = 1.0
            votes[w] = tuple(vote)
    return votes


_VOTES = _word_votes()
_NO_VOTE = (0.0,) * (_K + 1)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_TRIGRAM_WEIGHT = 0.6  # per unit of mean log-probability
_MIN_EVIDENCE = 0.08  # below this share of cue words and a poor trigram fit: "other"
_MIN_TRIGRAM_FIT = -8.0
_MIN_WORDS_WITHOUT_CUES = 3
_MIN_OTHER = 0.2  # share of "other" cue words from which an ad is not one of ours
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class LanguageGuess:
    lang: str
    scores: dict[str, float]


class LanguageIdentifier:
    """Scores each language by cue-word share plus mean trigram log-probability."""

    def __init__(self, profiles: dict[str, dict[str, float]] | None = None) -> None:
        self._profiles = profiles or {}
        # Trigrams only when every language has a profile: a language without one would
        # otherwise win by default against the others' (negative) log-probabilities.
        self._use_trigrams = all(lang in self._profiles for lang in LANGUAGES)
        self._floor = {
            lang: min(p.values(), default=-12.0) - 1.0 for lang, p in self._profiles.items()
        }
        # Every trigram's log-probability in each language (the language's floor where its
        # profile lacks the trigram): a new word costs one lookup per trigram, not one per
        # trigram and language.
        self._floors = tuple(self._floor.get(lang, 0.0) for lang in LANGUAGES)
        self._gram_logs: dict[str, tuple[float, ...]] = {}
        if self._use_trigrams:
            for gram in itertools.chain.from_iterable(self._profiles.values()):
                if gram not in self._gram_logs:
                    self._gram_logs[gram] = tuple(
                        self._profiles[lang].get(gram, self._floor[lang]) for lang in LANGUAGES
                    )
        self._cache: dict[str, tuple[float, ...]] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_texts(cls, texts: Iterable[tuple[str, str]], top: int = 3000) -> LanguageIdentifier:
        """Profiles from (lang, text) pairs: log-probabilities of the ``top`` trigrams."""
        counts: dict[str, Counter[str]] = {}
        for lang, text in texts:
            if lang in LANGUAGES:
                counter = counts.setdefault(lang, Counter())
                for word in _words(text.lower()):
                    counter.update(_trigrams(word))
        profiles = {}
        for lang, counter in counts.items():
            common = counter.most_common(top)
            total = sum(n for _, n in common)
            profiles[lang] = {g: math.log(n / total) for g, n in common}
        return cls(profiles)

    def guess(self, text: str) -> LanguageGuess:
        low = text[:MAX_CHARS].lower().replace("\u2019", "'")
        words = _words(low)
        # Sums of: votes per language, "other" votes, trigram log-probabilities per
        # language, number of trigrams.
        evidence = list(map(self._cache.get, words))
        if None in evidence:
            evidence = [e or self._evidence(w) for e, w in zip(evidence, words, strict=True)]
        totals: list[float] = (
            list(map(sum, zip(*evidence, strict=True))) if evidence else [0.0] * (2 * _K + 2)
        )
        if not low.isascii():  # every cue letter is outside ASCII
            for letter, at in _LETTER_AT:
                if letter in low:
                    totals[at] += 1.0
        n = max(1, len(words))
        shares = {lang: totals[i] / n for lang, i in _INDEX.items()}
        grams = totals[-1]
        fits = (
            {lang: totals[_K + 1 + i] / grams for lang, i in _INDEX.items()}
            if grams and self._use_trigrams
            else {}
        )
        scores = {lang: shares[lang] + _TRIGRAM_WEIGHT * fits.get(lang, 0.0) for lang in LANGUAGES}
        if not words or not _mostly_latin(words):
            return LanguageGuess(OTHER, scores)
        best_share = max(shares.values())
        other_share = totals[_OTHER_AT] / n
        if other_share >= _MIN_OTHER and other_share > best_share:
            return LanguageGuess(OTHER, scores)
        lang = max(scores, key=scores.__getitem__)  # in LANGUAGES order: ties go alike
        fit = fits.get(lang)
        if best_share < _MIN_EVIDENCE and (fit is None or fit < _MIN_TRIGRAM_FIT):
            return LanguageGuess(OTHER, scores)
        if best_share == 0 and len(words) < _MIN_WORDS_WITHOUT_CUES:
            return LanguageGuess(OTHER, scores)  # "WhatsApp", a name: nothing to go on
        return LanguageGuess(lang, scores)

    def identify(self, text: str) -> str:
        return self.guess(text).lang

    def _evidence(self, word: str) -> tuple[float, ...]:
        """One word's votes, trigram log-probability sums and trigram count (cached)."""
        found = self._cache.get(word)
        if found is not None:
            return found
        plain = strip_accents(word)
        votes = _VOTES.get(plain, _NO_VOTE)
        grams = _trigrams(plain)
        sums = [0.0] * _K
        if self._use_trigrams and grams:
            # Per language, the same additions in the same order as summing its profile's
            # values over the trigrams.
            logs = map(self._gram_logs.get, grams, itertools.repeat(self._floors))
            sums = list(map(sum, zip(*logs, strict=True)))
        found = (*votes, *sums, float(len(grams)))
        if len(word) > MAX_CACHED_WORD:
            return found
        with self._cache_lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = found
        return found


_NOT_LATIN = re.compile("[^\u0000-\u024f]")


def _mostly_latin(words: list[str]) -> bool:
    letters = "".join(words)
    if letters.isascii():
        return True
    return len(_NOT_LATIN.findall(letters)) * 2 < len(letters)


# Runs of letters and apostrophes: each run without an apostrophe is one match of _WORD,
# and _WORD reads a run with one as it would in the whole text (no match crosses a run's
# end). Cut in C (see classifiers/runs.py) where the text allows.
_LETTER_RUNS = Runs(r"[^\W\d_]|'")


def _find_words(low: str) -> list[str]:
    """``_WORD.findall(low)``."""
    runs = _LETTER_RUNS.split(low)
    if runs is None:
        return _WORD.findall(low)
    if "'" not in low:
        return runs
    return [word for run in runs for word in (_WORD.findall(run) if "'" in run else (run,))]


def _words(low: str) -> list[str]:
    """Lowercase words; an elided or contracted word whose whole form is not a cue word
    is split after its apostrophe ("d'emploi" → "d'", "emploi"; "all'estero")."""
    words = _find_words(low)
    if "'" not in low:
        return words
    out: list[str] = []
    for word in words:
        if "'" in word and strip_accents(word) not in _VOTES:
            head, tail = word.split("'", 1)
            out += (head + "'", tail)
        else:
            out.append(word)
    return out


def _trigrams(word: str) -> list[str]:
    padded = f" {strip_accents(word)} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


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
