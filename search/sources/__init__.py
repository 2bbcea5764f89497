"""Input formats: the registry of parsers and format detection, in one place.

Each format is one module with one :class:`~threadsearch.sources.base.Source`. Parsers never
detect formats; :func:`detect_format` sniffs the first bytes of a (decompressed) file
and names the format, and :func:`get_source` returns its parser.
"""

from __future__ import annotations

import importlib
import re
import traceback
from collections.abc import Iterator
from enum import Enum
from typing import BinaryIO

from ..errors import SourceFormatError, UnknownFormatError
from ..model import Thread
from .base import Source, SourceContext


class CompanionFileError(UnknownFormatError):
    """A file that is read with another one (Comments.xml beside Posts.xml), not alone."""


__all__ = ["Format", "Source", "SourceContext", "detect_format", "get_source", "FORMATS"]


class Format(str, Enum):
    """The input formats threadsearch reads, by the name ``--format`` takes."""

    TEXT = "text"
    WXR = "wxr"
    DISQUS = "disqus"
    FEED = "feed"
    HTML = "html"
    MAIL = "mail"
    JSONL = "jsonl"
    STACKEXCHANGE = "stackexchange"


FORMATS = tuple(f.value for f in Format)

# format -> "module:attribute"; imported on first use so a format's dependencies load
# only when a file of that format is read.
_REGISTRY: dict[Format, str] = {
    Format.TEXT: "plaintext:PlainTextSource",
    Format.WXR: "wxr:WxrSource",
    Format.DISQUS: "disqus:DisqusSource",
    Format.FEED: "feed:FeedSource",
    Format.HTML: "webpage:WebPageSource",
    Format.MAIL: "mail:MailSource",
    Format.JSONL: "jsonl:JsonLinesSource",
    Format.STACKEXCHANGE: "stackexchange:StackExchangeSource",
}

SNIFF_BYTES = 8192

_BOM = b"\xef\xbb\xbf"
_MAIL_HEAD = re.compile(rb"\AFrom \S+.*\n(?:[A-Za-z-]+: .*\n)*From: ", re.MULTILINE)
_RFC822_HEAD = re.compile(rb"\A(?:[A-Za-z-]+: .*\n)+", re.MULTILINE)
_SCRAPED_THREAD = re.compile(rb"^Posted by .+$|\| Comment\s*$", re.MULTILINE)


def get_source(name: str | Format) -> Source:
    """The parser for a format name; UnknownFormatError names the known ones."""
    try:
        fmt = Format(name)
    except ValueError:
        raise UnknownFormatError(
            f"unknown format {name!r}", hint=f"Use one of: {', '.join(FORMATS)}."
        ) from None
    module_name, _, attribute = _REGISTRY[fmt].partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    source: Source = getattr(module, attribute)()
    return _GuardedSource(source)


class _GuardedSource:
    """A parser whose bad-URL errors become :class:`SourceFormatError`.

    ``urllib.parse`` raises a bare ``ValueError`` for a link it cannot split (``http://
    [x/``: "Invalid IPv6 URL", a port out of range); every parser splits links in many
    places, so the conversion is made once, here, naming the file.
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = source.name

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        try:
            yield from self.source.parse(stream, context)
        except ValueError as exc:
            if not _raised_in_urllib(exc):
                raise
            raise SourceFormatError(
                context.path,
                f"a link cannot be read as a URL: {exc}",
                hint="Fix the link in the file (or remove it) and ingest it again.",
            ) from exc


def _raised_in_urllib(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.endswith(("urllib/parse.py", "ipaddress.py"))


def detect_format(head: bytes, path: str = "<input>") -> Format:
    """Name the format of a file from its first bytes (already decompressed)."""
    text = head.removeprefix(_BOM).lstrip()
    if not text:
        raise UnknownFormatError(f"{path}: the file is empty", hint="Nothing to ingest.")
    if b"\x00" in head[:1024]:
        raise UnknownFormatError(
            f"{path}: this is a binary file, not a thread archive",
            hint=f"threadsearch reads these formats: {', '.join(FORMATS)}.",
        )
    lower = text[:SNIFF_BYTES].lower()
    if text.startswith(b"{"):
        return Format.JSONL
    if text.startswith(b"<"):
        if b"<posts>" in lower and b"<row " in lower:
            return Format.STACKEXCHANGE
        if (b"<comments>" in lower or b"<users>" in lower) and b"<row " in lower:
            raise CompanionFileError(
                f"{path}: part of a Stack Exchange dump; read together with Posts.xml"
            )
        if b"<disqus" in lower:
            return Format.DISQUS
        if b"wordpress.org/export/" in lower:
            return Format.WXR
        if b"<rss" in lower or b"<feed" in lower or b"<rdf:rdf" in lower:
            return Format.FEED
        if b"<html" in lower or b"<!doctype html" in lower:
            return Format.HTML
    if _MAIL_HEAD.match(text) or (text.startswith(b"From ") and b"\nSubject:" in text):
        return Format.MAIL
    if _RFC822_HEAD.match(text) and b"message-id:" in lower:
        return Format.MAIL
    if _SCRAPED_THREAD.search(text):
        return Format.TEXT
    raise UnknownFormatError(
        f"{path}: not a format threadsearch recognises",
        hint=f"Pass --format with one of: {', '.join(FORMATS)}.",
    )
