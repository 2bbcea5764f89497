"""Safe, streaming, forgiving XML reading for the XML-based sources.

Exports are untrusted input. We never load a DTD, never resolve entities and never touch
the network, and we refuse any document that declares entities at all (the billion
laughs and external-entity attacks both need one), as defusedxml's ``forbid_entities``
does. lxml does it here because it also streams and recovers, so defusedxml is not a
dependency.

Real exports are often not well formed. Two kinds of damage are recoverable and only
warned about, naming the line: an undeclared namespace prefix and a stray control
character. Anything else (truncation, mismatched tags) is an error naming file, line and
column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from ..errors import SourceFormatError
from .base import SourceContext

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE_END = re.compile(rb"\]\s*>|<(?!!)[A-Za-z_]")
_CONTROL_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# libxml2 error codes we recover from: undefined namespace prefix (201), and the
# invalid-character family that a stray control character produces (9).
_RECOVERABLE = {201, 9}


def _check_prolog(head: bytes, path: str) -> None:
    """Refuse documents whose DOCTYPE declares entities (bombs, external entities)."""
    doctype = head.find(b"<!DOCTYPE")
    if doctype < 0:
        return
    end = _DOCTYPE_END.search(head, doctype)
    prolog = head[doctype : end.end() if end else len(head)]
    if _ENTITY_DECL.search(prolog):
        line = head[:doctype].count(b"\n") + 1
        raise SourceFormatError(
            path,
            "the document declares XML entities, which threadsearch refuses to expand "
            "(entity expansion and external entities are attack vectors)",
            line=line,
            hint="Export the file again without a DOCTYPE, or remove the <!ENTITY> lines.",
        )


class _ControlCharFilter:
    """A file-like wrapper that drops C0 control characters and remembers where."""

    def __init__(self, stream: BinaryIO, head: bytes) -> None:
        self._stream = stream
        self._pending = head
        self._line = 1
        self.dropped_lines: list[int] = []

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            chunk, self._pending = self._pending, b""
        else:
            chunk = self._stream.read(size if size and size > 0 else 1 << 16)
        if not chunk:
            return b""
        if _CONTROL_CHARS.search(chunk):
            for match in _CONTROL_CHARS.finditer(chunk):
                self.dropped_lines.append(self._line + chunk.count(b"\n", 0, match.start()))
            chunk = _CONTROL_CHARS.sub(b"", chunk)
        self._line += chunk.count(b"\n")
        return chunk


def local_name(tag: str) -> str:
    """``{ns}item`` and ``prefix:item`` (an undeclared prefix, recovered) both give ``item``."""
    return tag.rpartition("}")[2].rpartition(":")[2]


def release(element: etree._Element) -> None:
    """Free a processed element and the processed siblings before it.

    iterparse keeps building the whole tree; clearing what we are done with keeps memory
    flat however large the file.
    """
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def iterparse(
    stream: BinaryIO, context: SourceContext, tags: tuple[str, ...]
) -> Iterator[etree._Element]:
    """Yield each complete element whose local name is in ``tags``, streaming.

    The caller must :func:`release` each one when done with it, to keep memory flat.
    """
    head = stream.read(1 << 16)
    _check_prolog(head, context.path)
    source = _ControlCharFilter(stream, head)
    parser = etree.iterparse(
        source,
        events=("end",),
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
    )
    try:
        for _event, element in parser:
            tag = element.tag
            if isinstance(tag, str) and local_name(tag) in tags:
                yield element
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise SourceFormatError(
            context.path, f"not well-formed XML: {exc.msg}", line=line, column=column
        ) from exc
    for line in sorted(set(source.dropped_lines)):
        context.warn(f"{context.path}, line {line}: removed a control character XML forbids")
    _report_errors(parser.error_log, context)


def _report_errors(log: etree._ListErrorLog, context: SourceContext) -> None:
    fatal = None
    for entry in log:
        if entry.type in _RECOVERABLE:
            context.warn(f"{context.path}, line {entry.line}: {entry.message} (recovered)")
        elif entry.level >= etree.ErrorLevels.ERROR and fatal is None:
            fatal = entry
    if fatal is not None:
        raise SourceFormatError(
            context.path,
            f"not well-formed XML: {fatal.message}",
            line=fatal.line,
            column=fatal.column,
            hint="The file looks truncated or damaged; export it again.",
        )


def strip_control_chars(data: bytes) -> bytes:
    """``data`` without the C0 control characters XML forbids (as :func:`iterparse` drops them).

    For a second reader of a document :func:`iterparse` has already checked and warned about.
    """
    return _CONTROL_CHARS.sub(b"", data)
