"""Malformed inputs for every parser, built from real files: the fuzz tests' strategies.

Each format has seeds cut from real files in ``tests/data`` (a few whole items, closed
again so the seed parses) and hypothesis mutates them: truncation, byte flips, a slice
or an element repeated, deep nesting, NUL bytes and invalid UTF-8 spliced in. A parser
passes when every input either parses or raises the project's documented
:class:`~threadsearch.errors.SearchError` (a ``SourceFormatError`` naming the file).
``tests/test_fuzz_sources.py`` runs a short derandomized round; ``bench/fuzz.py`` (``make
fuzz``) runs for minutes per parser.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st
from threadsearch.errors import SearchError
from threadsearch.quotes import separate_quotes
from threadsearch.sources import Format, get_source
from threadsearch.sources.base import SourceContext

DATA = Path(__file__).resolve().parent / "data"
SEED_THREAD = DATA.parent.parent / "index_data" / "000_da0b5a8ba304d53d.txt"
STACKEXCHANGE = (
    DATA.parent.parent.parent
    / "shared"
    / "corpora"
    / "bulk"
    / "stackexchange-quantumcomputing-2018"
)


def head(data: bytes, closing: bytes, count: int, tail: bytes) -> bytes:
    """The file up to the end of its ``count``-th ``closing`` tag, then ``tail``."""
    end = 0
    for _ in range(count):
        found = data.find(closing, end)
        if found < 0:
            break
        end = found + len(closing)
    return data[:end] + tail


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _seeds() -> dict[str, list[bytes]]:
    wxr = _read(DATA / "wxr" / "timothyfitz-wordpresscom-2009-2012.wxr.xml")
    disqus = _read(DATA / "disqus" / "laisky-blog-2015-2024.disqus.xml")
    seeds = {
        "text": [_read(path) for path in sorted((DATA / "text").glob("*.txt"))[:3]]
        + [_read(SEED_THREAD)],
        "wxr": [head(wxr, b"</item>", 2, b"\n</channel>\n</rss>\n")],
        "disqus": [head(disqus, b"</post>", 4, b"\n</disqus>\n")],
        "feed": [_read(DATA / "feed" / "jasnapaka-bloguje-cz-comments-iso-8859-2.rss.xml")],
        "html": [_read(DATA / "html" / "whizzy-org-cisco-7941-asterisk-and-sip.html")],
        "mail": [head(_read(DATA / "mail" / "r-help-2026-07.txt"), b"\nFrom ", 6, b"")],
        "jsonl": [_read(DATA / "jsonl" / "threads.jsonl")],
    }
    posts = STACKEXCHANGE / "Posts.xml"
    if posts.is_file():
        seeds["stackexchange"] = [head(_read(posts), b"/>", 8, b"\n</posts>\n")]
    return seeds


SEEDS = _seeds()
#: Formats whose input is XML: entity declarations must be refused.
XML_FORMATS = ("wxr", "disqus", "feed", "stackexchange")


def parse_all(fmt: str, data: bytes, name: str = "fuzzed") -> int:
    """Parse ``data`` as ``fmt`` as ingest does (quotes separated); the entry count.

    Raises :class:`SearchError` for bad input, as documented; anything else is a bug.
    """
    context = SourceContext(name, warn=lambda message: None)
    entries = 0
    for thread in get_source(Format(fmt)).parse(io.BytesIO(data), context):
        entries += len(separate_quotes(thread).entries)
    return entries


def outcome(fmt: str, data: bytes) -> str:
    """``ok`` or ``error``; an exception that is not a SearchError propagates."""
    try:
        parse_all(fmt, data)
    except SearchError:
        return "error"
    return "ok"


def repeated(fmt: str, seed: bytes, times: int) -> bytes:
    """The seed's items repeated: the whole file for line formats, its items for XML,
    its second quarter for a page."""
    if fmt in ("mail", "jsonl", "text"):
        return seed * times
    for opening, closing in ((b"<item", b"</item>"), (b"<post ", b"</post>"), (b"<row", b"/>")):
        first, last = seed.find(opening), seed.rfind(closing)
        if 0 <= first < last:
            last += len(closing)
            return seed[:first] + seed[first:last] * times + seed[last:]
    quarter, half = len(seed) // 4, len(seed) // 2
    return seed[:half] + seed[quarter:half] * (times - 1) + seed[half:]


def call_count(fmt: str, data: bytes) -> int:
    """Python function calls made to parse ``data``: a measure of work that, unlike
    time, is exact and the same on a busy machine."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        outcome(fmt, data)
    finally:
        profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


# --- mutations -------------------------------------------------------------------------

_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)[^<>]*>")
_NASTY = [b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\r", b"\x1b[0m", b"&#0;", b"]]>"]


@st.composite
def _truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


@st.composite
def _flip(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
    return bytes(out)


@st.composite
def _repeat_slice(draw: st.DrawFn, data: bytes) -> bytes:
    start = draw(st.integers(0, len(data)))
    end = draw(st.integers(start, min(len(data), start + 4096)))
    return data[:end] + data[start:end] * draw(st.integers(1, 20)) + data[end:]


@st.composite
def _repeat_element(draw: st.DrawFn, data: bytes) -> bytes:
    tags = list(_TAG.finditer(data[:200_000]))
    if not tags:
        return data
    tag = draw(st.sampled_from(tags))
    closing = b"</" + tag.group(1) + b">"
    end = data.find(closing, tag.end())
    end = tag.end() if end < 0 else end + len(closing)
    element = data[tag.start() : end]
    return data[:end] + element * draw(st.integers(1, 10)) + data[end:]


@st.composite
def _nest(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    depth = draw(st.integers(1, 3000))
    opening, closing = draw(
        st.sampled_from(
            [(b"<div>", b"</div>"), (b"<a:b>", b"</a:b>"), (b"[", b"]"), (b'{"a":', b"}")]
        )
    )
    return data[:at] + opening * depth + closing * draw(st.integers(0, depth)) + data[at:]


@st.composite
def _splice(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from(_NASTY)) * draw(st.integers(1, 5)) + data[at:]


@st.composite
def _delete(draw: st.DrawFn, data: bytes) -> bytes:
    start = draw(st.integers(0, len(data)))
    return data[:start] + data[draw(st.integers(start, len(data))) :]


MUTATIONS: list[Callable[[bytes], st.SearchStrategy[bytes]]] = [
    _truncate,
    _flip,
    _repeat_slice,
    _repeat_element,
    _nest,
    _splice,
    _delete,
]


@st.composite
def malformed(draw: st.DrawFn, fmt: str) -> bytes:
    """A real file of ``fmt``, mutated one to four times."""
    data = draw(st.sampled_from(SEEDS[fmt]))
    for _ in range(draw(st.integers(1, 4))):
        data = draw(draw(st.sampled_from(MUTATIONS))(data))
    return data
