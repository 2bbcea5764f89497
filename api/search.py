"""GET /search: full-text and faceted search."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from threadsearch.model import SearchRequest

from .schemas import SearchArgsSchema, SearchResultSchema
from .state import get_backend

blp = Blueprint("search", __name__, description="Full-text search with facets and filters.")


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgsSchema, location="query")
    @blp.response(200, SearchResultSchema)
    def get(self, request: SearchRequest) -> Any:
        """Search entries; filters repeat, facets count matches per value."""
        config = current_app.config
        return (
            get_backend()
            .search(
                request,
                max_per_page=config["MAX_PER_PAGE"],
                facet_limit=config["FACET_LIMIT"],
            )
            .to_dict()
        )
