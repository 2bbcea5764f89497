"""GET / and GET /thread/<id>: the HTML page, its policy header and its own files.

The page's behaviour in a browser is tested in ``test_page_browser.py``; here, what the
server sends: the same document on both paths, a Content-Security-Policy that forbids
inline script and other origins, a document with nothing inline to forbid, and the
page's own JavaScript and CSS under 50 KB.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from flask.testing import FlaskClient

STATIC = Path(__file__).resolve().parents[1] / "api" / "static"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1][0] == "script":
            self.script_text += data.strip()


def test_page_root_serves_the_html_with_its_policy(client: FlaskClient) -> None:
    with client.get("/") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        assert response.headers["Content-Security-Policy"] == POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data == (STATIC / "index.html").read_bytes()


def test_page_thread_path_serves_the_same_document(client: FlaskClient) -> None:
    with client.get("/thread/97c3c134e99d8917?entry=97c3c134e99d8917-9") as response:
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == POLICY
        assert response.data == (STATIC / "index.html").read_bytes()


def test_page_html_has_no_inline_script_style_or_other_origin() -> None:
    parser = _Tags()
    parser.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    attributes = [(tag, name, value) for tag, attrs in parser.tags for name, value in attrs.items()]
    assert [a for a in attributes if a[1] == "style" or a[1].startswith("on")] == []
    assert parser.script_text == ""
    assert [tag for tag, _ in parser.tags if tag == "style"] == []
    sources = sorted(v for _, n, v in attributes if n in {"src", "href"} and v)
    assert sources == ["#main", "/", "/", "/static/page.css", "/static/page.js"]


def test_page_own_javascript_and_css_under_50_kb(client: FlaskClient) -> None:
    files = sorted(p.name for p in STATIC.iterdir())
    assert files == ["index.html", "page.css", "page.js"]
    sizes = {}
    for name in ("page.js", "page.css"):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200
            sizes[name] = len(response.data)
    assert sizes["page.js"] == (STATIC / "page.js").stat().st_size
    assert sum(sizes.values()) < 50_000, sizes


def test_page_is_not_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "/" not in paths
    assert not [p for p in paths if p.startswith("/thread/")]
