"""GET / and GET /thread/<id>: the search page, plain HTML over the documented API.

One HTML document serves both paths; its script (``static/page.js``) reads the path and
the query string, calls ``/search``, ``/threads/<id>`` and ``/entries/<id>/similar``, and
renders with ``textContent`` (the API's highlight HTML is rebuilt node by node, keeping
only text and ``<mark>``). No build step, nothing loaded from another origin: the
Content-Security-Policy sent with the page allows scripts, styles and requests from this
origin only, and no inline script or style attribute.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

blp = Blueprint("page", __name__)

#: Sent with the HTML: same-origin scripts, styles and API calls only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _page() -> Response:
    response = current_app.send_static_file("index.html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.get("/")
def search_page() -> Response:
    """The search page; its state is the query string, in /search's parameter names."""
    return _page()


@blp.get("/thread/<thread_id>")
def thread_page(thread_id: str) -> Response:
    """A thread's entries in order, ``?entry=<id>`` scrolled into view."""
    return _page()
