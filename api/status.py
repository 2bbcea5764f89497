"""Liveness, readiness, version and statistics.

``GET /livez`` answers 200 while the process runs. ``GET /readyz`` answers 200 once the
index can be read and 503 (problem+json, with the reason) while there is none or it
cannot be read, so a server started on an empty folder turns ready when an ingest
creates the index. ``GET /health`` is an alias of readiness, kept for older clients.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from threadsearch.errors import IndexNotFoundError, SearchError
from threadsearch.schema import SCHEMA_VERSION

from .errors import PROBLEM_TYPE
from .schemas import HealthSchema, LiveSchema, ProblemSchema, StatsSchema, VersionSchema
from .state import get_backend

blp = Blueprint("status", __name__, description="Service health, version and index statistics.")


@blp.route("/livez")
class Live(MethodView):
    @blp.response(200, LiveSchema)
    def get(self) -> Any:
        """Liveness: 200 while the process runs, index or not."""
        return {"status": "ok"}


def _readiness() -> dict[str, Any]:
    try:
        entries = get_backend().stats().entries
    except SearchError:
        raise
    except Exception as exc:  # a damaged index: any read error means not ready
        raise IndexNotFoundError(f"the index cannot be read: {exc}") from exc
    return {"status": "ok", "index": _served(), "entries": entries}


def _served() -> str:
    """What the app serves: the index folder, or the cluster alias and addresses."""
    config = current_app.config
    if config.get("BACKEND", "whoosh") == "whoosh":
        return str(config["INDEX"])
    alias = config.get("OPENSEARCH_INDEX") or "threadsearch"
    return f"opensearch {alias} at {config.get('OPENSEARCH_URL')}"


_NOT_READY = {
    "schema": ProblemSchema,
    "content_type": PROBLEM_TYPE,
    "description": "No index yet, or it cannot be read; `detail` says why.",
}


# /health is the same view under its old name, kept for older clients.
@blp.route("/health", endpoint="Health")
@blp.route("/readyz", endpoint="Ready")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, **_NOT_READY)
    def get(self) -> Any:
        """Readiness: 200 when the index can be read, else 503 with the reason."""
        return _readiness()


@blp.route("/version")
class Version(MethodView):
    @blp.response(200, VersionSchema)
    def get(self) -> Any:
        """The package version and the index format version it reads and writes."""
        return {"package": version("threadsearch"), "index_format": SCHEMA_VERSION}


@blp.route("/stats")
class Stats(MethodView):
    @blp.response(200, StatsSchema)
    def get(self) -> Any:
        """Counts and date range of what the index holds."""
        return get_backend().stats().to_dict()
