"""Email addresses, plain or spelled out to dodge scrapers: "name at domain dot com",
"name [at] domain [dot] com", "name(at)domain.com", "nombre arroba dominio punto com",
"nom arobase domaine point fr". The value is the address, lowercase."""

from __future__ import annotations

import re

from classifiers.entities.scan import Scan, wordlist
from core.ad import Entity

# Top-level domains accepted after a spelled-out "dot": the generic ones and the region's
# country codes, so "meet at noon dot nothing" stays text.
_TLDS = wordlist(
    "com net org info biz edu gov int mil io co me app online site store shop jobs work "
    "email mail live pro xyz club agency lc ag dm gd kn vc bb tt jm bs gy sr ht do cu pr "
    "vi vg ky tc ai ms aw cw sx bq mq gp gf bl mf ve co br mx pa cr ec pe cl ar uy py bo "
    "hn ni sv gt bz us ca uk fr es pt it de nl be ch at ie ae qa sa tr ru jp kr cn in eu"
)
_TLD = "|".join(sorted(_TLDS, key=len, reverse=True))
# Read around each "@" rather than over the whole text.
# "\Z", not "$", in the patterns searched in a window ending at the "@": an address has no
# line break.
_LOCAL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}\Z")
_DOMAIN = re.compile(r"@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[a-z]{2,24}\b")
_AT_WORDS = r"at|arroba|arobase|arobas|arobaz|aroba"
_DOT_WORDS = r"dot|punto|point|ponto|pwen"
_AT = (
    rf"[ \t]*[(\[{{<][ \t]*(?:{_AT_WORDS}|@)[ \t]*[)\]}}>][ \t]*"
    rf"|[ \t]+(?:{_AT_WORDS})[ \t]+|[ \t]+@[ \t]+"
)
_DOT = (
    rf"[ \t]*[(\[{{<][ \t]*(?:{_DOT_WORDS}|\.)[ \t]*[)\]}}>][ \t]*"
    rf"|[ \t]+(?:{_DOT_WORDS})[ \t]+|[ \t]*\.[ \t]*"
)
_LABEL = r"[a-z0-9][a-z0-9-]{0,62}"
# Starts with a character class, so the regex engine skips ahead cheaply.
_AT_SIGN = re.compile(rf"[ \t(\[{{<][ \t]*(?:{_AT_WORDS}|@)[ \t]*[ \t)\]}}>]")
_AT_WORD_SET = frozenset(_AT_WORDS.split("|"))
_NAME_BEFORE = re.compile(r"(?<![\w.+-])[a-z0-9][\w.+-]{0,63}[ \t]*\Z")
# The top-level domain is the last label: "co {dot} uk" goes on past "co".
_MORE = (
    rf"(?!(?:[ \t]+(?:{_DOT_WORDS})[ \t]+|[ \t]*[(\[{{<][ \t]*(?:{_DOT_WORDS}|\.)[ \t]*"
    rf"[)\]}}>][ \t]*|\.){_LABEL})"
)
_DOMAIN_AFTER = re.compile(
    rf"[ \t]*(?P<domain>{_LABEL}(?:(?:{_DOT}){_LABEL})*?)(?:{_DOT})(?P<tld>{_TLD})(?![\w-]){_MORE}"
)
_DOT_SPLIT = re.compile(_DOT)
# Words that stand before "at" in ordinary sentences ("write to us at ...", "apply at").
_NOT_NAMES = frozenset(
    wordlist(
        "us me you him her them it we they i is are be was were am here there work works "
        "working apply located based available online call email e-mail mail contact write "
        "send reach find visit see look info information details nos te le correo escribe "
        "escribenos contacto estamos nous moi ecrivez contactez contato nou mwen ekri"
    )
)


def _spelled_ats(scan: Scan, has_at: bool) -> list[re.Match[str]]:
    """The "at" signs of spelled-out addresses: " at ", "(at)", "[arroba]", " @ "... Found
    with str.find on the few at-words the ad contains, not by scanning every character.
    ``has_at``: whether the ad holds an "@" at all."""
    light = scan.light
    words = scan.word_set & _AT_WORD_SET
    if has_at and (" @" in light or "@ " in light):
        words |= {"@"}
    if not words:
        return []
    found = []
    for word in words:
        at = light.find(word)
        while at != -1:
            end = at + len(word)
            whole = word == "@" or (
                not light[at - 1 : at].isalpha() and not light[end : end + 1].isalpha()
            )
            if whole and at:
                m = _AT_SIGN.match(light, at - 1) or (at > 1 and _AT_SIGN.match(light, at - 2))
                if m and _well_formed(m.group()):
                    found.append(m)
            at = light.find(word, end)
    return sorted(found, key=lambda m: m.start())


def _well_formed(sign: str) -> bool:
    """Brackets on both sides ("[at]"), or spaces on both sides (" at ")."""
    opening = sign.strip()[:1]
    if opening in "([{<":
        return sign.rstrip()[-1:] in ")]}>"
    return sign[0] in " \t" and sign[-1] in " \t"


def find_emails(scan: Scan) -> list[Entity]:
    light = scan.light
    found: list[Entity] = []
    at = light.find("@")
    has_at = at != -1
    while at != -1:
        local = _LOCAL.search(light, max(0, at - 64), at)
        if local is None and light[at - 1 : at] == "\n":
            # Wrapped at the "@" (a narrow column): the name ends the line before.
            local = _LOCAL.search(light, max(0, at - 65), at - 1)
        domain = _DOMAIN.match(light, at)
        if local is not None and domain is not None:
            address = (local.group() + domain.group()).rstrip(".-")
            start = local.start()
            end = at + len(address) - len(local.group())
            found.append(scan.entity("email", address, start, end))
            scan.claim(start, end)
            at = light.find("@", end)
        else:
            at = light.find("@", at + 1)
    for sign in _spelled_ats(scan, has_at):
        before = _NAME_BEFORE.search(light, max(0, sign.start() - 64), sign.start())
        after = _DOMAIN_AFTER.match(light, sign.end())
        if before is None or after is None:
            continue
        name = before.group().rstrip(" \t").strip(".")
        # Only a bare "at" is an everyday word: "write to us at ..." names no mailbox.
        plain_at = sign.group().strip() == "at"
        if (plain_at and name in _NOT_NAMES) or not any(c.isalpha() for c in name):
            continue
        start, end = before.start(), after.end()
        if not scan.free(start, end):
            continue
        labels = [label for label in _DOT_SPLIT.split(after.group("domain")) if label]
        address = f"{name}@{'.'.join(labels)}.{after.group('tld')}"
        found.append(scan.entity("email", address, start, end, {"obfuscated": True}))
        scan.claim(start, end)
    return found
