"""The parser interface every input format implements.

A source is an object with a ``name`` and a ``parse(stream, context)`` method that reads
bytes and yields :class:`~threadsearch.model.Thread` objects lazily. Sources are pure: no
index access, no other file access, no format detection (that lives in
:mod:`threadsearch.sources`). Bad input raises :class:`~threadsearch.errors.SourceFormatError`
during iteration; recoverable oddities go to ``context.warn``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import BinaryIO, Protocol

from ..errors import SourceFormatError
from ..model import Thread

#: The longest line a line-based format (text pages, mailboxes) may hold. Real ones stay
#: far below; a longer line is not an archive, and reading on would cost time for nothing.
MAX_LINE_BYTES = 1 << 20


def long_line_error(path: str, number: int, length: int) -> SourceFormatError:
    """The error for a line over :data:`MAX_LINE_BYTES`."""
    return SourceFormatError(
        path,
        f"the line is {length:,} bytes long, over the {MAX_LINE_BYTES:,} a line may hold",
        line=number,
        hint="This is not a thread archive of this format (a binary file, or a file whose "
        "line ends were lost); pass --format if it is another format.",
    )


def _ignore(message: str) -> None:
    return None


def _no_related(name: str) -> BinaryIO | None:
    return None


@dataclass
class SourceContext:
    """What a parser knows about the input besides its bytes.

    :param path: the file's name as the user gave it, for error messages.
    :param timezone: the zone to read zone-less local times in; ``None`` keeps them naive
        (an entry then reads them as UTC, with ``utc_offset`` None).
    :param include_hidden: also yield drafts, unapproved, spam, deleted and trashed items.
    :param warn: called with a message for each recoverable problem.
    :param base_url: the site's address, for inputs whose links lost their host (a
        static mirror's feed links ``/2017/02/post/``); relative links resolve against it.
    :param open_related: opens a file that sits beside the input, by name (a Stack
        Exchange dump is Posts.xml with Comments.xml and Users.xml beside it); returns
        ``None`` when there is no such file. The caller owns the file access.
    """

    path: str
    timezone: tzinfo | None = None
    include_hidden: bool = False
    warn: Callable[[str], None] = field(default=_ignore)
    open_related: Callable[[str], BinaryIO | None] = field(default=_no_related)
    base_url: str | None = None

    def localize(self, value: datetime) -> datetime:
        """Apply ``--timezone`` to a naive local time; aware times are kept as they are.

        The result stays in the source's own zone, so that the offset reaches
        ``Entry.utc_offset`` (pass :func:`~threadsearch.model.offset_minutes` of it);
        the :class:`~threadsearch.model.Entry` constructor converts to UTC. Without
        ``--timezone`` a naive time stays naive: the entry reads it as UTC with no
        offset.
        """
        if value.tzinfo is None and self.timezone is not None:
            return value.replace(tzinfo=self.timezone)
        return value


class Source(Protocol):
    """One input format."""

    name: str

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        """Yield the threads in ``stream``; raise SourceFormatError on bad input."""
        ...
