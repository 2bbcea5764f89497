"""The HTTP API: a Flask application factory over the search library.

``create_app`` sets defaults from :mod:`.config`, overlays ``THREADSEARCH_*`` environment
variables, then the mapping a caller passes. Nothing happens at import time.
Blueprints: :mod:`.search`, :mod:`.threads`, :mod:`.status`; what every answer
does besides its body (request ids, access log, ETags, CORS...): :mod:`.manners`.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from . import config as settings
from . import manners
from .errors import PROBLEM_TYPE, register_error_handlers
from .schemas import ProblemSchema

__all__ = ["create_app"]


class StrictParser(FlaskParser):
    """Rejects unknown query parameters (webargs drops them by default) and answers 400.

    A silently ignored ``?autor=bob`` would search everything; naming the bad parameter
    is kinder.
    """

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, Any] = {"query": RAISE, "json": RAISE}
    DEFAULT_VALIDATION_STATUS = 400


Blueprint.ARGUMENTS_PARSER = StrictParser()


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with our problem+json handlers instead of its error body, and
    the error responses of the OpenAPI document described as what they are."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)

    def _register_responses(self) -> None:
        """Every status's response component, and the default error response of each
        operation, as ``application/problem+json`` bodies."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["content"] = {PROBLEM_TYPE: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "An error", "content": {PROBLEM_TYPE: {"schema": ProblemSchema}}},
            lazy=True,
        )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings.defaults())
    app.config.from_prefixed_env("THREADSEARCH")
    if config:
        app.config.update(config)
    app.config.update(
        API_TITLE="threadsearch",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    api = ProblemApi(app)
    manners.init_app(app)
    from . import search, status, threads

    for module in (search, threads, status):
        api.register_blueprint(module.blp)
    # The input schemas share class names with the output ones; register them under
    # their own names first so apispec does not invent "Entry1".
    api.spec.components.schema("EntryInput", schema=threads.ENTRY_INPUT_SCHEMA)
    api.spec.components.schema("ThreadInput", schema=threads.INPUT_SCHEMA)
    api.spec.components.schema("WriteProblem", schema=threads.WRITE_PROBLEM_SCHEMA)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    return app
