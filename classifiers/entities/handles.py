"""Messaging and social accounts, and other web links.

``handle`` entities name an account as ``platform:id``: "whatsapp:+17585550134" (wa.me and
api.whatsapp.com links), "telegram:jobsabroad" (t.me links, "Telegram: @jobsabroad"),
"instagram:maria.models" (instagram.com links, "IG @maria.models"), "signal:+1758..."
(signal.me links, "Signal @name.01"), and facebook/tiktok/snapchat links. A bare "@name"
with no platform named is kept as "@name". Invite codes keep their case; names do not.
Any other link is a ``url`` entity ("host/path", lowercase host, no scheme or "www.").
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from classifiers.entities.phones import MAX_DIGITS, ParsedNumber, parse_number
from classifiers.entities.scan import Scan, wordlist
from core.ad import Entity

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+"
    r"|(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:com|net|org|gov|edu|info|biz|jobs|io|co|me|ly|am|ee"
    r"|link|app|lc|ht|tt|jm|do|br|fr|es|ca|uk|gd|vc|bb|ag|dm|kn|gy|sr|ve|pt|example)\b"
    r"(?:/[^\s<>\"'()\[\]{}]*)?"
)
_PLATFORM_WORDS = {
    "telegram": "telegram",
    "tg": "telegram",
    "insta": "instagram",
    "instagram": "instagram",
    "ig": "instagram",
    "signal": "signal",
    "tiktok": "tiktok",
    "tik tok": "tiktok",
    "snap": "snapchat",
    "snapchat": "snapchat",
    "facebook": "facebook",
    "fb": "facebook",
}
_WORDS = "|".join(sorted(map(re.escape, _PLATFORM_WORDS), key=len, reverse=True))
# "Telegram: @jobs_abroad", "IG @maria.models", "insta: maria_models" (the colon form needs
# no "@"), "sígueme en tiktok @x".
_MENTION = re.compile(
    rf"(?<![^\W\d_])(?P<platform>{_WORDS})(?![^\W\d_])"
    r"(?:[ \t]*(?:[:\-–][ \t]*)?@(?P<at>\w[\w.]{1,29})"
    r"|[ \t]*:[ \t]*(?P<bare>[a-z][a-z0-9_.]{2,29})(?P<stop>[ \t]*(?:[\n,;)!]|$))?)"
)
_BARE = re.compile(r"@(?P<name>\w[\w.]{1,29})")
_PLATFORM_FIRST_WORDS = frozenset(w.split()[0] for w in _PLATFORM_WORDS)
# Where a link may be: tried first, as it starts with literals and so scans fast; the link
# pattern then runs only around the hits.
_LINK_HINT = re.compile(
    r"://|www\.|\.(?:com|net|org|gov|edu|info|biz|jobs|io|co|me|ly|am|ee|link|app|lc|ht|tt"
    r"|jm|do|br|fr|es|ca|uk|gd|vc|bb|ag|dm|kn|gy|sr|ve|pt|example)(?![a-z0-9-])"
)
_SPACE = re.compile(r"\s")
_DIGITS = re.compile(r"\d{7,15}")
_RESERVED = frozenset(
    wordlist(
        "p reel reels explore stories tv accounts share joinchat s home login watch groups "
        "pages profile.php people search hashtag"
    )
)
_CHAT_HOSTS = (
    "wa.me",
    "wa.link",
    "t.me",
    "telegram.me",
    "telegram.dog",
    "whatsapp.com",
    "m.me",
    "instagram.com",
    "instagr.am",
    "facebook.com",
    "fb.com",
    "fb.me",
    "tiktok.com",
    "snapchat.com",
    "signal.me",
    "signal.group",
    "linktr.ee",
)


def _host_path(url: str) -> tuple[str, str, str, str]:
    """(host, path, query, fragment) of a link as written (no scheme needed)."""
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return "", "", "", ""
    return host, parts.path, parts.query, parts.fragment


def _on(host: str, *domains: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def find_links(scan: Scan) -> list[Entity]:
    light = scan.light
    found: list[Entity] = []
    searched = 0
    for hint in _LINK_HINT.finditer(light):
        if hint.start() < searched:
            continue
        # A link has no spaces: look only in the stretch of text the hint is in.
        left = max(_last_space(light, hint.start()) + 1, searched)
        right = _next_space(light, hint.end())
        m = _URL.search(light, left, right)
        while m is not None and m.end() < hint.start():
            m = _URL.search(light, m.end(), right)
        if m is not None and m.start() <= hint.start():
            link = m.group().rstrip(".,;:!?")
            end = m.start() + len(link)
            searched = max(searched, end)
            if not scan.free(m.start(), end):
                continue  # an email's domain
            found.extend(_link(scan, link, m.start(), end))
            scan.claim(m.start(), end)
    if scan.word_set.isdisjoint(_PLATFORM_FIRST_WORDS):
        return found + _bare(scan)
    for m in _MENTION.finditer(light):
        if m.group("bare") and m.group("stop") is None and not _looks_like_handle(m["bare"]):
            continue  # "Telegram: send your photos" names no account
        name = (m.group("at") or m.group("bare") or "").rstrip(".")
        start, end = m.start(), m.start("at" if m.group("at") else "bare") + len(name)
        if name and scan.free(start, end):
            platform = _PLATFORM_WORDS[m.group("platform")]
            found.append(scan.entity("handle", f"{platform}:{name}", start, end, _attrs(platform)))
            scan.claim(start, end)
    return found + _bare(scan)


def _last_space(text: str, end: int) -> int:
    return max(text.rfind(" ", 0, end), text.rfind("\n", 0, end), text.rfind("\t", 0, end))


def _next_space(text: str, start: int) -> int:
    m = _SPACE.search(text, start)
    return m.start() if m is not None else len(text)


def _bare(scan: Scan) -> list[Entity]:
    light = scan.light
    found: list[Entity] = []
    if "@" not in light:
        return found
    for m in _BARE.finditer(light):
        if m.start() and (light[m.start() - 1].isalnum() or light[m.start() - 1] in "_.@"):
            continue
        name = m.group("name").rstrip(".")
        end = m.start() + 1 + len(name)
        if scan.free(m.start(), end) and not name.isdigit():
            found.append(scan.entity("handle", f"@{name}", m.start(), end, {"platform": ""}))
            scan.claim(m.start(), end)
    return found


def _looks_like_handle(name: str) -> bool:
    return any(c in "_." or c.isdigit() for c in name)


def _attrs(platform: str, **more: str) -> dict[str, object]:
    return {"platform": platform, **more}


def _link(scan: Scan, link: str, start: int, end: int) -> list[Entity]:
    host, path, query, fragment = _host_path(link)
    segments = [s for s in path.split("/") if s]
    first = segments[0] if segments else ""
    handle = _handle(scan, host, segments, query, fragment, start, end)
    if handle is not None:
        platform, ident, phone = handle
        found = [scan.entity("handle", f"{platform}:{ident}", start, end, _attrs(platform))]
        if phone is not None:
            # The number inside the link, as a phone too: ads are linked by phone.
            digits = _DIGITS.search(scan.light, start, end)
            if digits is not None:
                details = {"region": phone.region, "valid": phone.valid, "chat": platform}
                found.append(scan.entity("phone", phone.e164, *digits.span(), details))
        return found
    # Paths are case-sensitive: the value keeps them as written (hosts are lowercase).
    a, b = scan.norm.original_span(start, end)
    written = scan.original[a:b]
    if len(written) == len(link):
        path = _host_path(written)[1]
    value = host + path.rstrip("/") if host else link
    chat = _on(host, *_CHAT_HOSTS)
    attrs: dict[str, object] = {"host": host, "chat": chat}
    if chat and first and first not in _RESERVED:
        attrs["account"] = first
    return [scan.entity("url", value, start, end, attrs)]


def _handle(
    scan: Scan,
    host: str,
    segments: list[str],
    query: str,
    fragment: str,
    start: int,
    end: int,
) -> tuple[str, str, ParsedNumber | None] | None:
    """(platform, account, phone) for a link to an account."""
    first = segments[0] if segments else ""
    if _on(host, "wa.me") and first:
        return _by_phone("whatsapp", first)
    if _on(host, "whatsapp.com"):
        phone = parse_qs(query).get("phone", [""])[0]
        if phone:
            return _by_phone("whatsapp", phone)
        if host.startswith("chat.") and first:
            return "whatsapp", "group/" + _cased(scan, first, start, end), None
        return None
    if _on(host, "t.me", "telegram.me", "telegram.dog") and first:
        if first == "joinchat" and len(segments) > 1:
            return "telegram", "+" + _cased(scan, segments[1], start, end), None
        if first.startswith("+"):
            return "telegram", "+" + _cased(scan, first[1:], start, end), None
        return "telegram", first, None
    if _on(host, "instagram.com", "instagr.am") and first and first not in _RESERVED:
        return "instagram", first, None
    if _on(host, "signal.me") and fragment.startswith("p/"):
        return _by_phone("signal", fragment[2:])
    if _on(host, "tiktok.com") and first.startswith("@"):
        return "tiktok", first[1:], None
    if _on(host, "snapchat.com") and first == "add" and len(segments) > 1:
        return "snapchat", segments[1], None
    if _on(host, "facebook.com", "fb.com", "m.me") and first and first not in _RESERVED:
        return "facebook", first, None
    return None


def _by_phone(platform: str, digits: str) -> tuple[str, str, ParsedNumber | None]:
    """wa.me and signal.me carry the number in international form without "+"."""
    plain = re.sub(r"\D", "", digits)
    parsed = parse_number(plain, True, ()) if 7 <= len(plain) <= MAX_DIGITS else None
    if parsed is None:
        return platform, "+" + plain if plain else digits, None
    return platform, parsed.e164, parsed


def _cased(scan: Scan, lowered: str, start: int, end: int) -> str:
    """An invite code as written (they are case-sensitive; matching ran on lowercase)."""
    a, b = scan.norm.original_span(start, end)
    original = scan.original[a:b]
    at = original.lower().find(lowered)
    return original[at : at + len(lowered)] if at != -1 else lowered
