"""GET /health and GET /stats."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from threadsearch.errors import SearchError

from .schemas import HealthSchema, StatsSchema
from .state import get_backend

blp = Blueprint("status", __name__, description="Service health and index statistics.")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> Any:
        """Whether the service can answer, and what index it serves."""
        try:
            entries = get_backend().stats().entries
        except SearchError as exc:
            return {"status": "no index", "index": str(exc), "entries": None}
        return {"status": "ok", "index": current_app.config["INDEX"], "entries": entries}


@blp.route("/stats")
class Stats(MethodView):
    @blp.response(200, StatsSchema)
    def get(self) -> Any:
        """Counts and date range of what the index holds."""
        return get_backend().stats().to_dict()
