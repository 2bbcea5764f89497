"""Text clean-up shared by every source: mojibake repair, HTML to text, entities.

Two kinds of mojibake reach us:

* UTF-8 read as Windows-1252 or Latin-1 (``â€™`` for ``’``). ftfy repairs that.
* UTF-8 read as Windows-874, the Thai code page (``โ€™`` for ``’``), as in the seed
  thread. ftfy does not know that page, so :func:`repair_thai_mojibake` undoes it: the
  scraper mapped bytes 0xA0-0xFF through Windows-874 and 0x80-0x9F through
  Windows-1252, and dropped the bytes neither defines. We map each suspicious run of
  characters back to bytes and decode it as UTF-8, restoring a dropped byte where exactly
  one is missing. A run that does not decode is left as it was, so genuine Thai text
  survives.
"""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy

# Bytes Windows-1252 leaves undefined; the scraper dropped them, so a repair may have to
# put one back. Tried in this order: 0x81 first because WordPress's frowning smiley,
# U+1F641, ends in it.
_UNDEFINED_1252 = (0x81, 0x8D, 0x8F, 0x90, 0x9D)


def _hybrid_char_to_byte() -> dict[str, int]:
    table: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        raw = bytes([byte])
        try:
            char = raw.decode("cp874") if byte >= 0xA0 else raw.decode("cp1252")
        except UnicodeDecodeError:
            continue
        table.setdefault(char, byte)
    return table


_CHAR_TO_BYTE = _hybrid_char_to_byte()
_LEAD_CHARS = "".join(re.escape(c) for c, b in _CHAR_TO_BYTE.items() if 0xC2 <= b <= 0xF4)
_CONT_CHARS = "".join(re.escape(c) for c, b in _CHAR_TO_BYTE.items() if 0x80 <= b <= 0xBF)
# A lead byte's character followed by continuation characters; repeated, since one
# damaged word can hold several characters in a row.
_THAI_RUN = re.compile(f"(?:[{_LEAD_CHARS}][{_CONT_CHARS}]{{0,3}})+")


def _utf8_length(lead: int) -> int:
    if lead >= 0xF0:
        return 4
    if lead >= 0xE0:
        return 3
    return 2


def _plausibility(char: str) -> int:
    """Rank a restored character: lower is likelier in the text this damage hits.

    Curly quotes first (U+201D ends in a dropped byte), then the emoticon faces that
    WordPress substitutes for ``:(`` and ``:)``, then other punctuation and symbols.
    """
    category = unicodedata.category(char)
    if category in ("Pi", "Pf"):
        return 0
    if "\U0001f600" <= char <= "\U0001f64f":
        return 1
    if category[0] in "PS":
        return 2
    return 3


def _decode_sequence(seq: bytes) -> str | None:
    """Decode one UTF-8 sequence, re-inserting a single dropped byte if needed."""
    need = _utf8_length(seq[0])
    if len(seq) == need:
        try:
            return seq.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if len(seq) != need - 1:
        return None
    candidates: list[tuple[tuple[int, int, int], str]] = []
    for position in range(1, need):
        for order, missing in enumerate(_UNDEFINED_1252):
            candidate = seq[:position] + bytes([missing]) + seq[position:]
            try:
                char = candidate.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if unicodedata.category(char) != "Cn":
                candidates.append(((_plausibility(char), -position, order), char))
    candidates.sort()
    return candidates[0][1] if candidates else None


def _repair_run(run: str) -> str:
    raw = bytes(_CHAR_TO_BYTE[c] for c in run)
    # Genuine Thai never has Windows-1252 punctuation (bytes 0x80-0x9F) glued inside a
    # word, while every damaged quote, dash or emoji does; leave such runs alone.
    if not any(0x80 <= byte <= 0x9F for byte in raw):
        return run
    out: list[str] = []
    i = 0
    while i < len(raw):
        lead = raw[i]
        j = i + 1
        while j < len(raw) and 0x80 <= raw[j] <= 0xBF and j - i < _utf8_length(lead):
            j += 1
        decoded = _decode_sequence(raw[i:j])
        if decoded is None:
            return run
        out.append(decoded)
        i = j
    return "".join(out)


def repair_thai_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as Windows-874 (see the module docstring)."""
    return _THAI_RUN.sub(lambda m: _repair_run(m.group(0)), text)


def repair_text(text: str) -> str:
    """Repair mojibake of both kinds and normalise line endings; keeps everything else."""
    text = repair_thai_mojibake(text)
    text = ftfy.fix_text(
        text,
        unescape_html=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        normalization="NFC",
        explain=False,
    )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unescape_fully(text: str, *, rounds: int = 3) -> str:
    """Unescape HTML entities until stable; some exports escape twice (``&amp;gt;``)."""
    for _ in range(rounds):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return text


_BLANK_LINES = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


def tidy_paragraphs(text: str) -> str:
    """Collapse runs of spaces, keep single line breaks, one blank line between paragraphs."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", joined).strip()


_BLOCK_TAGS = frozenset(
    "p div blockquote pre ul ol li h1 h2 h3 h4 h5 h6 table tr section article header "
    "footer dl dt dd figure figcaption hr address".split()
)


def html_to_text(markup: str) -> str:
    """Turn an HTML fragment into clean text: paragraphs kept, link text kept, tags gone."""
    from lxml import html as lxml_html  # local: only HTML-bearing sources pay for it

    markup = markup.strip()
    if not markup:
        return ""
    if "<" not in markup:
        return tidy_paragraphs(unescape_fully(markup))
    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    parts: list[str] = []
    _walk(root, parts)
    return tidy_paragraphs(unescape_fully("".join(parts)))


def _walk(element: object, parts: list[str]) -> None:
    from lxml import etree

    assert isinstance(element, etree._Element)
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in ("script", "style"):
        if element.tail:
            parts.append(element.tail)
        return
    block = tag in _BLOCK_TAGS
    if block:
        parts.append("\n\n")
    if tag == "br":
        parts.append("\n")
    if element.text and tag:
        parts.append(element.text)
    for child in element:
        _walk(child, parts)
    if block:
        parts.append("\n\n")
    if element.tail:
        parts.append(element.tail)
