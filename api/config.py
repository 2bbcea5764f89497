"""Settings of the HTTP API: one table, with defaults and one line of help each.

Every setting can be given as an environment variable with the ``THREADSEARCH_``
prefix (``THREADSEARCH_INDEX=/data/index``) or in the mapping passed to
``create_app``. The README's settings table is checked against this one by a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from threadsearch.locations import default_index_dir
from threadsearch.query.limits import QueryLimits


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = (
    # None: the library's default (index_data/index in a checkout, else the user's data
    # folder; see threadsearch.locations).
    Setting("INDEX", None, "Folder of the Whoosh index to serve."),
    Setting("MAX_PER_PAGE", 100, "Largest per_page a search may ask for."),
    Setting("FACET_LIMIT", 50, "Most values returned per facet; the rest set truncated."),
    Setting("BACKEND", "whoosh", "Which engine answers: whoosh (the INDEX folder) or opensearch."),
    Setting(
        "OPENSEARCH_URL",
        None,
        "Cluster address(es) for BACKEND=opensearch, comma-separated: http://127.0.0.1:9200.",
    ),
    Setting("OPENSEARCH_INDEX", "threadsearch", "The alias the cluster's index lives behind."),
    Setting(
        "API_TOKEN", None, "Bearer token that POST and DELETE /threads require; unset: refused."
    ),
    Setting("MAX_BODY_BYTES", 10_485_760, "Largest request body; a larger one is a 413."),
    Setting(
        "CORS_ORIGINS", None, "Origins allowed to call the API from a browser, comma-separated."
    ),
    Setting("CACHE_CONTROL", "no-cache", "Cache-Control of GET answers that read the index."),
    Setting("ACCESS_LOG", True, "One JSON line per request on stderr (threadsearch.access)."),
    Setting("TIME_BUDGET_MS", 500, "Search time after which the result is cut short (partial)."),
    Setting("MAX_QUERY_CHARS", 600, "Longest query text."),
    Setting("MAX_TERMS", 64, "Most words and field:value terms in a query."),
    Setting("MAX_NESTING", 32, "Deepest nesting of parentheses in a query."),
    Setting("MAX_EXPANSION", 2000, "Most index terms one wildcard or prefix may match."),
    Setting("MAX_FUZZY_DISTANCE", 1, "Largest edit distance of a fuzzy term (word~1)."),
    Setting("MAX_DEPTH", 10000, "Deepest offset paging (page * per_page); cursors go on."),
)


def query_limits(config: Mapping[str, Any]) -> QueryLimits:
    """The search limits the settings give."""
    return QueryLimits(
        max_query_chars=int(config["MAX_QUERY_CHARS"]),
        max_terms=int(config["MAX_TERMS"]),
        max_nesting=int(config["MAX_NESTING"]),
        max_expansion=int(config["MAX_EXPANSION"]),
        max_fuzzy_distance=int(config["MAX_FUZZY_DISTANCE"]),
        max_depth=int(config["MAX_DEPTH"]),
    )


def defaults() -> dict[str, Any]:
    values = {s.name: s.default for s in SETTINGS}
    values["INDEX"] = str(default_index_dir())
    return values
