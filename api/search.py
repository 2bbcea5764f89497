"""GET /search: full-text and faceted search."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from threadsearch.model import SearchRequest

from .config import query_limits
from .errors import PROBLEM_TYPE
from .schemas import ProblemSchema, SearchArgsSchema, SearchResultSchema
from .state import get_backend

blp = Blueprint("search", __name__, description="Full-text search with facets and filters.")


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgsSchema, location="query")
    @blp.response(200, SearchResultSchema)
    @blp.alt_response(
        400,
        schema=ProblemSchema,
        content_type=PROBLEM_TYPE,
        description="A bad parameter or query, or a query over a limit (named in `errors`).",
    )
    def get(self, request: SearchRequest) -> Any:
        """Search entries; filters repeat, facets count matches per value."""
        config = current_app.config
        budget = config["TIME_BUDGET_MS"]
        return (
            get_backend()
            .search(
                request,
                max_per_page=config["MAX_PER_PAGE"],
                facet_limit=config["FACET_LIMIT"],
                limits=query_limits(config),
                time_budget=None if budget is None else int(budget) / 1000,
            )
            .to_dict()
        )
