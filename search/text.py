"""Text clean-up shared by every source: mojibake repair, HTML to text, entities.

Two kinds of mojibake reach us:

* UTF-8 read as Windows-1252 or Latin-1 (``â€™`` for ``’``). ftfy repairs that.
Before either repair, bytes must become text: :func:`decode_bytes` takes UTF-8 when the
bytes are UTF-8, else the first declared charset that decodes them, else the charset
charset-normalizer detects, else Latin-1 (which decodes anything). Mojibake repair then
runs on text that was decoded as well as the bytes allow.

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

import charset_normalizer
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


#: Declared charsets that cannot hold 8-bit bytes, so a text with such bytes lies.
_SEVEN_BIT = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "646"})
#: Detection reads at most this many bytes of 8-bit lines.
_DETECT_BYTES = 16384


def decode_bytes(data: bytes, declared: tuple[str | None, ...] = ()) -> str:
    """Bytes as text: UTF-8, else a declared charset that decodes them, else detected.

    A declared charset is wrong when it cannot decode the bytes (or is 7-bit ASCII and
    the bytes are not): then charset-normalizer detects one from the lines that hold
    8-bit bytes (fast on a long message with a few accented words, and the signal is
    all there). Latin-1 is the last resort, since it decodes any byte.

    >>> decode_bytes("Olá, já instalei o G-Portugol.".encode("cp1252"), ("us-ascii",))
    'Olá, já instalei o G-Portugol.'
    >>> text = "Привет всем! Я пытаюсь установить пакет, но получаю ошибку. Что делать?"
    >>> decode_bytes(text.encode("koi8-r"), ("utf-8",)) == text
    True
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for charset in dict.fromkeys(c.strip().lower() for c in declared if c):
        if charset in _SEVEN_BIT:
            continue
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    detected = detect_charset(data)
    if detected is not None:
        try:
            return data.decode(detected)
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("latin-1")


#: Western code pages, preferred when detection finds them as likely as its best guess:
#: a few accented letters in a Portuguese or German text read as well in Windows-1250
#: as in Windows-1252, and charset-normalizer then breaks the tie by code page order.
_WESTERN = ("cp1252", "latin_1", "iso8859_15")
#: How much less coherent (percentage points) a Western reading may be than the best.
_WESTERN_SLACK = 10.0


def detect_charset(data: bytes) -> str | None:
    """The charset charset-normalizer finds for the bytes' 8-bit lines, or None."""
    sample = b"\n".join(line for line in data.split(b"\n") if not line.isascii())
    matches = charset_normalizer.from_bytes(sample[:_DETECT_BYTES])
    best = matches.best()
    if best is None:
        return None
    if best.percent_coherence == 0 and _decodes(sample, _WESTERN[0]):
        # No language recognised (a line or two with one accented letter): any code
        # page fits, and a Western one is the likeliest.
        return _WESTERN[0]
    for match in matches:
        western = [name for name in _WESTERN if name in match.could_be_from_charset]
        if (
            western
            and match.percent_chaos <= best.percent_chaos
            and match.percent_coherence >= best.percent_coherence - _WESTERN_SLACK
        ):
            return western[0]
    return str(best.encoding)


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


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
