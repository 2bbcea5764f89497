"""Settings of the HTTP API: one table, with defaults and one line of help each.

Every setting can be given as an environment variable with the ``THREADSEARCH_``
prefix (``THREADSEARCH_INDEX=/data/index``) or in the mapping passed to
``create_app``. The README's settings table is checked against this one by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threadsearch.locations import default_index_dir


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
)


def defaults() -> dict[str, Any]:
    values = {s.name: s.default for s in SETTINGS}
    values["INDEX"] = str(default_index_dir())
    return values
