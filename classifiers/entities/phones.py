"""Phone numbers, however hidden, normalised to E.164 with ``phonenumbers``.

Which country a number without "+" belongs to is a guess, tried in this order:

1. the region hint (the site's country: ``AdText.region``, see ``region_from_host``);
2. the countries the ad's language points to in the region we watch (``REGIONS_BY_LANG``):
   en -> LC (Saint Lucia, where the unit works; any +1 Caribbean number also parses
   under it, and 7-digit local numbers get Saint Lucia's 758), ht -> HT then LC (Saint
   Lucian Kwéyòl is read as Creole; Haitian numbers have 8 digits, Saint Lucian 7 or 10),
   pt -> BR, es -> DO then VE (Dominican numbers are +1; Venezuelan migrants write
   0414-...), fr -> MQ, GP, GF (the French Caribbean), FR, HT, then LC.
   Any other language falls back to LC.

The first region where the number is valid wins; failing that, the first where it is at
least possible. A "+" (or "00"/"011") number needs no guess.

What counts as a phone: a run of 8 or more digits that ``phonenumbers`` finds valid, or any
possible number that starts with "+" or stands near a contact word ("call", "tel",
"WhatsApp", "llama", "appelez", "rele", "ligue", "📞"...). Seven-digit local numbers need
the contact word. Runs next to a licence/registration/reference word, dates, prices and
ages (claimed earlier by ``wages``/``ages``) are not phones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from classifiers.entities.digits import DigitRun, DigitToken, digit_runs
from classifiers.entities.scan import Scan
from classifiers.errors import ClassifierError
from core.ad import Entity

# phonenumbers compiles its metadata's regular expressions on every use and relies on the re
# module's cache, which holds 512: numbers read against several regions push each other's
# patterns out, and they are compiled again and again. Its own cache keeps every pattern it
# has compiled (bounded by its metadata). Older releases have no such cache.
_enable_pattern_cache = getattr(phonenumbers, "enable_pattern_cache", None)
if _enable_pattern_cache is not None:
    _enable_pattern_cache()

REGIONS_BY_LANG: dict[str, tuple[str, ...]] = {
    "en": ("LC",),
    "ht": ("HT", "LC"),
    "pt": ("BR",),
    "es": ("DO", "VE"),
    "fr": ("MQ", "GP", "GF", "FR", "HT", "LC"),
}
FALLBACK_REGIONS = ("LC",)
MAX_DIGITS = 15  # E.164
_TLD_REGION = {"uk": "GB"}  # ccTLDs that are not the ISO code

_CUE = re.compile(
    r"(?<![^\W\d_])(?:tel|tels|tele|telf|telephone|telefono|telefone|telefon|phone|"
    r"hotline|helpline|line|linea|ligne|liy|send|envia|envie|envoie|envoyez|voye|mande|manda|"
    r"fone|call|calls|calling|cell|cel|celular|cellular|mobile|mob|movil|portable|contact|"
    r"contacto|contato|contactez|kontakte|kontak|number|numero|nimewo|whatsapp|whatsap|"
    r"watsapp|watsap|wasap|wassap|whats|wsp|wa|zap|zapzap|telegram|signal|viber|text|sms|"
    r"llama|llamar|llamanos|llame|marca|appel|appelez|appeler|appelle|rele|relem|ligue|"
    r"ligar|liga|ligacao|msg|message|mesaj|escribe|escribenos|ekri)(?![^\W\d_])|[☎📞📱✆📲]"
)
_BLOCK = re.compile(
    r"(?<![^\W\d_])(?:licen[cs]e|lic|licencia|licenca|lisans|reg|registration|registro|"
    r"registered|permit|permiso|ref|reference|referencia|invoice|factura|facture|account|"
    r"cuenta|compte|conta|iban|swift|siret|siren|rnc|nit|cnpj|cpf|rut|nif|tin|ssn|id|"
    r"passport|pasaporte|passeport|passaporte|code|codigo|order|pedido|commande|case|file|"
    r"dossier|expediente|agrement|alvara|patente|patant|serial|lot|isbn|zip|postal|pemi|permis|"
    r"autorizacion|autorisation|otorizasyon|matricule|matricula)"
    r"(?![^\W\d_])"
)
_CHAT = re.compile(
    r"(?<![^\W\d_])(?:(?P<whatsapp>whatsapp|whatsap|watsapp|watsap|wasap|wassap|guasap|whats|"
    r"wsp|wa|zap|zapzap)|(?P<telegram>telegram|tg)|(?P<signal>signal)|(?P<viber>viber))"
    r"(?![^\W\d_])"
)
# Dates are claimed before phones are read: "12.05.2024", "2024-05-12".
_DATE = re.compile(
    r"(?<![0-9])(?<![0-9][./-])(?:[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2})(?![./-]?[0-9])"
)
# Searched in a window ending at the number: "\Z", as "$" would also match before a line
# break ending the window and so read "TEL\n2472644" as a code.
_CODE_PREFIX = re.compile(r"[^\W\d_]\Z|[^\W\d_]{1,6}[-/#]\Z")
_CODE_MARKS = frozenset("-/#")
_WEAK_CUES = frozenset({"number", "numero", "nimewo", "contact", "contacto", "contato"})
_CUE_WINDOW = 60
_BLOCK_WINDOW = 30
_CHAT_BEFORE, _CHAT_AFTER = 40, 25


class UnknownRegionError(ClassifierError, ValueError):
    """A region hint that is not a country ``phonenumbers`` knows."""


@dataclass(frozen=True)
class ParsedNumber:
    e164: str
    region: str
    valid: bool


def check_region(region: str | None) -> str | None:
    """The region hint as an upper-case ISO 3166 code; None stays None."""
    if region is None or region == "":
        return None
    code = _TLD_REGION.get(region.lower(), region.upper())
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise UnknownRegionError(
            f"unknown region {region!r}: give a two-letter country code such as LC or HT"
        )
    return code


def region_from_host(host: str) -> str | None:
    """The country a site's host name points to ("empleos.com.do" -> DO), None for generic
    top-level domains such as .com."""
    tld = host.lower().rstrip(".").rsplit(".", 1)[-1]
    code = _TLD_REGION.get(tld, tld.upper())
    return code if len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS else None


def guess_regions(lang: str, region: str | None = None) -> tuple[str, ...]:
    regions = REGIONS_BY_LANG.get(lang, FALLBACK_REGIONS)
    hint = check_region(region)
    if hint is None:
        return regions
    return (hint, *(r for r in regions if r != hint))


@lru_cache(maxsize=8192)
def parse_number(digits: str, plus: bool, regions: tuple[str, ...]) -> ParsedNumber | None:
    """The best reading of ``digits``: cached, as ``phonenumbers`` costs ~0.1 ms a number
    and the same numbers recur across a crawl."""
    if plus:
        try:
            number = phonenumbers.parse("+" + digits, None)
        except NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
        return _checked(number, "")
    possible: list[tuple[phonenumbers.PhoneNumber, str]] = []
    for region in regions:
        try:
            number = phonenumbers.parse(digits, region)
        except NumberParseException:
            continue
        if not phonenumbers.is_possible_number(number):
            continue
        if phonenumbers.is_valid_number_for_region(number, region):
            return ParsedNumber(_e164(number), region, True)
        possible.append((number, region))
    if not possible:
        return None
    # Perhaps valid elsewhere in its country code: a +1 868 number read with Saint Lucia's
    # rules is a valid Trinidad number.
    number, region = possible[0]
    return _checked(number, region)


def _checked(number: phonenumbers.PhoneNumber, guessed: str) -> ParsedNumber:
    # region_code_for_number names a region by leading digits, valid or not.
    home = phonenumbers.region_code_for_number(number)
    valid = home is not None and phonenumbers.is_valid_number_for_region(number, home)
    return ParsedNumber(_e164(number), home or guessed, valid)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def find_phones(scan: Scan) -> list[Entity]:
    folded = scan.folded
    runs = digit_runs(folded, scan.lang, scan.numbers, scan.words, scan.word_set)
    if not runs:
        return []
    regions = guess_regions(scan.lang, scan.region)
    found: list[Entity] = []
    for run in runs:
        for m in _DATE.finditer(folded, max(0, run.start - 12), run.end + 12):
            scan.claim(m.start(), m.end())
        for part, plus_at in _free_parts(run, scan):
            found.extend(_phones_in(part, plus_at, regions, scan))
    return found


def _free_parts(run: DigitRun, scan: Scan) -> list[tuple[list[DigitToken], int | None]]:
    """The run cut where an earlier finder claimed a token (a price, an age, a link), or
    where a number is glued to letters: part of a code ("AB7585550134", "AP-2024-0183",
    "2023045678X") or of a time ("3è")."""
    folded = scan.folded
    parts: list[tuple[list[DigitToken], int | None]] = []
    current: list[DigitToken] = []
    plus_at = run.start if run.plus else None
    for token in run.tokens:
        if scan.free(token.start, token.end) and not _glued(folded, token):
            current.append(token)
            continue
        if current:
            parts.append((current, plus_at))
        current, plus_at = [], None
    if current:
        parts.append((current, plus_at))
    return parts


def _glued(folded: str, token: DigitToken) -> bool:
    if token.word:
        return False
    after = folded[token.end : token.end + 1]
    if after.isalpha():
        return True
    # _CODE_PREFIX ends with a letter or one of "-/#" right before the token.
    before = folded[token.start - 1 : token.start]
    if not (before.isalnum() or before in _CODE_MARKS):
        return False
    return _CODE_PREFIX.search(folded, max(0, token.start - 8), token.start) is not None


def _phones_in(
    tokens: list[DigitToken], plus_at: int | None, regions: tuple[str, ...], scan: Scan
) -> list[Entity]:
    """Splits a run into phones from the left, each the longest that parses (a valid
    reading preferred): "758 555 0134 and 758 555 0199" gives two."""
    out: list[Entity] = []
    i = 0
    while i < len(tokens):
        best: tuple[int, ParsedNumber] | None = None
        digits = ""
        lead = plus_at is not None and i == 0
        candidates: list[tuple[int, str]] = []
        for j in range(i, len(tokens)):
            digits += tokens[j].digits
            if len(digits) > MAX_DIGITS:
                break
            if len(digits) >= 7:
                candidates.append((j, digits))
        for j, digits in reversed(candidates):
            parsed = parse_number(digits, lead, regions)
            if parsed is None:
                continue
            if parsed.valid:
                best = (j, parsed)
                break
            # A possible number that takes the whole run beats a shorter valid one:
            # "758 five five five 0134" is one number, not 758-7585550.
            if best is None:
                best = (j, parsed)
                if j == len(tokens) - 1:
                    break
        if best is None:
            i += 1
            continue
        j, parsed = best
        start = plus_at if lead and plus_at is not None else tokens[i].start
        if start > 0 and scan.folded[start - 1] == "(":
            start -= 1  # "(11) 98765-4321"
        end = tokens[j].end
        entity = _accept(scan, parsed, start, end, lead, len(_digits(tokens[i : j + 1])))
        if entity is None:
            i += 1
            continue
        out.append(entity)
        scan.claim(start, end)
        i = j + 1
    return out


def _digits(tokens: list[DigitToken]) -> str:
    return "".join(t.digits for t in tokens)


def _accept(
    scan: Scan, parsed: ParsedNumber, start: int, end: int, plus: bool, n_digits: int
) -> Entity | None:
    folded = scan.folded
    cue = _last(_CUE, folded, start - _CUE_WINDOW, start)
    block = _last(_BLOCK, folded, start - _BLOCK_WINDOW, start)
    if block is not None and not plus and not _overrules(cue, block):
        return None  # a licence or reference number
    cued = cue is not None or _CUE.search(folded, end, end + 20) is not None
    if not (plus or cued or (parsed.valid and n_digits >= 8)):
        return None
    attrs: dict[str, object] = {"region": parsed.region, "valid": parsed.valid}
    chat = _chat(folded, start, end)
    if chat:
        attrs["chat"] = chat
    return scan.entity("phone", parsed.e164, start, end, attrs)


def _overrules(cue: re.Match[str] | None, block: re.Match[str]) -> bool:
    """A contact word after a licence word makes the number a phone again ("Licence 2023.
    Call 758..."); "number" does not ("licence number 2023...")."""
    return cue is not None and cue.start() > block.start() and cue.group() not in _WEAK_CUES


def _last(pattern: re.Pattern[str], text: str, start: int, end: int) -> re.Match[str] | None:
    last = None
    for m in pattern.finditer(text, max(0, start), end):
        last = m
    return last


def _chat(folded: str, start: int, end: int) -> str | None:
    """The messaging app named next to the number, if any ("WhatsApp +1 758...")."""
    before = list(_CHAT.finditer(folded, max(0, start - _CHAT_BEFORE), start))
    match = before[-1] if before else _CHAT.search(folded, end, end + _CHAT_AFTER)
    if match is None:
        return None
    return match.lastgroup
