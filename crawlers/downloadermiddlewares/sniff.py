"""What a response body really is, whatever its headers claim: binary data served as text/html,
an encoding label that lies, text that no decoding makes readable.

Pure functions on bytes and text, cheap on the common case (an honest UTF-8 or ASCII page).
"""

from __future__ import annotations

import codecs
import re

SNIFF_BYTES = 4096  # magic numbers and NUL bytes are looked for at the start only
TEXT_SAMPLE = 100_000  # characters looked at for unreadable text
MAX_UNREADABLE_SHARE = 0.10  # real text has almost none; binary decoded as text has plenty

# Magic numbers of files that are never web pages (served as text/html by a broken or hostile
# server). Each starts the file; none can start an HTML document.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\x7fELF", "an executable"),
    (b"MZ\x90\x00", "an executable"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"BZh91AY&SY", "bzip2 data"),
    (b"OggS", "Ogg media"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM media"),
)
# Byte order marks of encodings whose text is full of NUL bytes.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")

# An undecodable byte kept by the "surrogateescape" error handler.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# Unreadable: the replacement character, and control characters other than whitespace. The
# controls all lie below U+00A0, where Latin-1 encodes each as the byte of its own value.
_REPLACEMENT = "\ufffd"
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
_SINGLE_BYTE_PREFIXES = ("cp12", "iso8859", "latin", "windows-12", "koi8", "mac-", "cp8")


def binary_kind(body: bytes, encoding: str) -> str | None:
    """What ``body`` is when it is not text at all ("a PNG image", ...), else None."""
    head = body[:SNIFF_BYTES]
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    if head.startswith(_WIDE_BOMS) or _is_wide(encoding):
        return None  # UTF-16/32: NUL bytes are half the text
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    return None


def better_encoding(body: bytes, encoding: str) -> str | None:
    """An encoding that reads ``body`` right where the declared ``encoding`` (as resolved from
    the BOM, header and meta tags) reads it wrong, or None when the label is fine.

    Two mislabellings are common and safe to detect: a legacy page (Windows-1252) labelled
    UTF-8, whose bytes are then mostly invalid UTF-8; and a UTF-8 page labelled with a legacy
    single-byte encoding, whose non-ASCII bytes then form valid UTF-8 sequences, which legacy
    text practically never does.
    """
    if body.isascii():
        return None
    name = _codec_name(encoding)
    if name == "utf-8":
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return "cp1252" if _mostly_invalid_utf8(body) else None
        return None
    if name.startswith(_SINGLE_BYTE_PREFIXES):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "utf-8"
    return None


def unreadable_share(text: str) -> float:
    """The share of replacement and control characters at the start of ``text``."""
    sample = text[:TEXT_SAMPLE]
    if not sample:
        return 0.0
    # Counted with byte operations rather than a regex: three times faster on a typical page,
    # and no list of matches on one full of controls. Latin-1 with "ignore" keeps just the
    # characters below U+0100, controls among them; deleting the controls shortens it by
    # their number.
    kept = sample.encode("latin-1", "ignore")
    unreadable = len(kept) - len(kept.translate(None, _CONTROL_BYTES))
    if _REPLACEMENT in sample:
        unreadable += sample.count(_REPLACEMENT)
    return unreadable / len(sample)


def _mostly_invalid_utf8(body: bytes) -> bool:
    # Legacy text hardly ever holds a valid UTF-8 sequence ("Ã©" is one), so a few of them
    # among the bad bytes mean a UTF-8 page with some broken bytes: those stay replacement
    # characters, the rest of the page stays right.
    text = body.decode("utf-8", "surrogateescape")
    invalid = len(_ESCAPED_BYTE.findall(text))
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return invalid > 4 * valid


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()


def _is_wide(encoding: str) -> bool:
    name = _codec_name(encoding)
    return name.startswith(("utf-16", "utf-32"))
