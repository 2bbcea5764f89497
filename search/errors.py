"""Every error the library raises, so callers can catch one base class.

The tree::

    SearchError
    ├── UnknownFormatError     no parser recognises a file, or --format names none
    ├── SourceFormatError      a file is broken: carries the file, the position and why
    ├── IndexNotFoundError     no index at the path asked for
    ├── IndexVersionError      the index was written by another schema version
    ├── IndexBusyError         another writer holds the index and did not finish in time
    ├── IndexWriteError        the index's files could not be written (a full disk)
    ├── ValidationError        threads given to the write API are not valid: names the field
    ├── StrictIngestError      a strict ingest met warnings, so wrote nothing
    ├── NotFoundError          no thread or entry with that id
    ├── QuerySyntaxError       the query text cannot be read
    ├── QueryLimitError        a query breaks a documented limit: names the limit
    ├── InvalidFilterError     a filter, facet or sort value is not one we know
    └── BackendUnavailableError  the search cluster did not answer (after retries)

Third-party exceptions are converted where the dependency is used (``raise ... from``).
"""

from __future__ import annotations


class SearchError(Exception):
    """Base class of every threadsearch error."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        stop = "" if self.message.endswith((".", "!", "?")) else "."
        return f"{self.message}{stop} {self.hint}"


class UnknownFormatError(SearchError):
    """No parser recognises the input."""


class SourceFormatError(SearchError):
    """An input file is malformed; says where and why."""

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        line: int | None = None,
        column: int | None = None,
        record: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = path
        if line is not None:
            where += f", line {line}"
            if column is not None:
                where += f", column {column}"
        if record is not None:
            where += f", {record}"
        super().__init__(f"{where}: {reason}", hint=hint)
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        self.record = record


class IndexNotFoundError(SearchError):
    """There is no index at the given directory."""


class IndexVersionError(SearchError):
    """The index on disk was built with a different schema version."""


class IndexBusyError(SearchError):
    """Another writer (a process or a thread) holds the index's write lock."""


class IndexWriteError(SearchError):
    """Writing the index's files failed (no space left, a quota, an I/O error); the
    write was cancelled and the index is as it was before it."""


class ValidationError(SearchError):
    """A thread or entry given to the write API breaks a rule; nothing was written.

    ``problems`` lists every broken rule as ``(thread id, entry id or None, field,
    message)``; the message names the first.
    """

    def __init__(
        self,
        message: str,
        *,
        problems: list[tuple[str, str | None, str, str]],
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems


class StrictIngestError(SearchError):
    """An ingest asked to be strict met warnings; nothing was written.

    ``warnings`` lists every one of them (``summary``, the :class:`IngestSummary` of what
    would have been written, is set by the ingest that raised).
    """

    def __init__(self, warnings: list[str], summary: object = None) -> None:
        count = len(warnings)
        super().__init__(
            f"strict ingest: {count} warning{'s' if count != 1 else ''}, nothing written "
            f"(first: {warnings[0]})",
            hint="Fix the input, or ingest without --strict to keep what can be read.",
        )
        self.warnings = warnings
        self.summary = summary


class NotFoundError(SearchError):
    """No thread or entry has the given id."""


class QuerySyntaxError(SearchError):
    """The query text cannot be parsed."""


class InvalidFilterError(SearchError):
    """A filter, facet, or sort value is not valid."""


class BackendUnavailableError(SearchError):
    """The search cluster (the opensearch backend) did not answer, even after retries."""


class QueryLimitError(SearchError):
    """A search breaks one of the documented limits (:mod:`threadsearch.query.limits`).

    ``limit`` is the limit's name (``max_query_chars``, ``max_terms``...), ``maximum``
    its value and ``value`` what the request asked for.
    """

    def __init__(self, limit: str, value: int, maximum: int, what: str) -> None:
        super().__init__(
            f"{what} is {value}, over the limit {limit}={maximum}",
            hint='See the README, "Limits".',
        )
        self.limit = limit
        self.value = value
        self.maximum = maximum
