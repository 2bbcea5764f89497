"""The search page in a real headless Chromium, against ``threadsearch serve`` on loopback.

The index holds the seed, a few of the shared corpora's files (when ``../shared`` is
there) and a small thread of our own whose text carries HTML and a ``<script>``. What the
page shows is checked against what the API answers for the same parameters. The tests
also take the README's screenshots (into a temporary folder, or the folder that
``THREADSEARCH_SCREENSHOTS`` names: ``make screenshots`` writes ``docs/screenshots/``) and
print the time from load to the first results.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without
them the module is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPORA, SEED, running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(
        "no browser: install Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver) to run the page's browser tests",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOTS = Path(
    os.environ.get("THREADSEARCH_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "threadsearch-screenshots"
)
SHARED_FILES = [
    "rss/whizzy-org-cisco-7941-post-comments-feed.rss.xml",
    "html/bigredtin-including-wordpress-comment-reply-js.html",
    "atom/bigredtin-comments-feed.atom.xml",
]
PAYLOAD = 'zanzibarfoo <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
HOSTILE = {
    "id": "hostile",
    "title": "<b>Bold</b> title zanzibarfoo",
    "site": "hostile.example",
    "entries": [
        {
            "id": "hostile-post",
            "kind": "post",
            "position": 0,
            "author": "Mallory",
            "timestamp": "2020-02-03T04:05:06Z",
            "body": "A post about zanzibarfoo.",
        },
        {
            "id": "hostile-1",
            "kind": "comment",
            "position": 1,
            "author": "<i>Eve</i>",
            "timestamp": "2020-02-03T05:00:00Z",
            "depth": 1,
            "parent_id": "hostile-post",
            "body": PAYLOAD,
        },
        {
            "id": "hostile-2",
            "kind": "comment",
            "position": 2,
            "author": "Trent",
            "timestamp": "2020-02-03T06:00:00Z",
            "depth": 2,
            "parent_id": "hostile-1",
            "body": "A reply, nested under Eve's comment.",
        },
    ],
}
DESKTOP = (1280, 900)
PHONE = (390, 844)
TIMEOUT = 15


@pytest.fixture(scope="module")
def page_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from threadsearch.index import open_index
    from threadsearch.ingest import ingest_paths

    base = tmp_path_factory.mktemp("page")
    hostile = base / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    shared = [CORPORA / name for name in SHARED_FILES if (CORPORA / name).is_file()]
    index = open_index(base / "index", create=True)
    try:
        ingest_paths(index, [SEED, hostile, *shared])
    finally:
        index.close()
    return base / "index"


@pytest.fixture(scope="module")
def server(page_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("page-server") / "stderr.log"
    with running_server(page_index, log, "--workers", "2") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--lang=en-US",
        f"--user-data-dir={profile}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    # A reader east of UTC: times on the page are theirs, the UTC instant on hover.
    service = Service(str(CHROMEDRIVER), env=os.environ | {"TZ": "Asia/Shanghai"})
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def api(server: str, path: str, **params: Any) -> Any:
    query = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{server}{path}?{query}", timeout=10) as response:
        return json.load(response)


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    return WebDriverWait(driver, TIMEOUT).until(condition, message=f"waited for {what}")


def rendered(driver: WebDriver) -> None:
    """Wait until the search or thread in the address bar is on screen."""
    wait(
        driver,
        lambda d: d.execute_script(
            "return document.body.dataset.rendered === location.search"
            " && document.readyState === 'complete'"
        ),
        f"the page to show {driver.current_url}",
    )


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    rendered(driver)


def text(driver: WebDriver, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def shown_facet(driver: WebDriver, name: str) -> dict[str, int]:
    """The facet's values and counts as the sidebar lists them (hidden ones included)."""
    pairs = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(b => "
        "[b.dataset.value, b.nextElementSibling.querySelector('.count').textContent])",
        f"#facet-{name} input",
    )
    return {value: int(count.replace(",", "")) for value, count in pairs}


def api_facet(result: dict[str, Any], name: str) -> dict[str, int]:
    return {
        "" if v["value"] is None else str(v["value"]): v["count"]
        for v in result["facets"][name]["values"]
    }


def screenshot(driver: WebDriver, name: str, size: tuple[int, int], focus: str = "") -> None:
    """Write ``docs/screenshots/<name>`` at ``size``, with ``focus`` (a selector) in view."""
    driver.set_window_size(*size)
    if focus:
        driver.execute_script(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", focus
        )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))
    driver.set_window_size(*DESKTOP)


def test_page_query_shows_total_and_highlighted_first_hit(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/")
    field = browser.find_element(By.ID, "q")
    field.send_keys("bounty hunters", Keys.ENTER)
    wait(browser, lambda d: "q=bounty+hunters" in d.current_url, "the query in the URL")
    rendered(browser)
    expected = api(server, "/search", q="bounty hunters")
    first = expected["hits"][0]
    assert text(browser, "#total") == str(expected["total"]) == "2"
    snippet = browser.find_element(By.CSS_SELECTOR, ".hit .snippet")
    assert snippet.text == plain(first["highlights"]["body"]).strip()
    marks = [m.text for m in snippet.find_elements(By.TAG_NAME, "mark")]
    assert marks == re.findall(r"<mark>(.*?)</mark>", first["highlights"]["body"])
    assert marks[:2] == ["bounty", "hunters"]
    wait(browser, lambda d: text(d, ".hit .position") != "comment", "the position label")
    assert text(browser, ".hit .position") == "comment 9 of 26"
    when = browser.find_element(By.CSS_SELECTOR, ".hit time")
    assert first["timestamp"] == "2005-10-01T22:01:00+00:00"
    assert (when.text, when.get_attribute("title")) == (
        "Oct 2, 2005, 6:01 AM",
        "2005-10-01 22:01 UTC",
    )
    screenshot(browser, "search-desktop.png", DESKTOP)


def test_page_time_to_first_results_on_the_seed(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=refugees")
    took = browser.execute_script(
        "return Number(document.body.dataset.firstResultsMs)"
        " - performance.getEntriesByType('navigation')[0].startTime"
    )
    print(f"\nload to first results (/?q=refugees, seed and shared files): {took:.0f} ms")
    assert text(browser, "#total") == str(api(server, "/search", q="refugees")["total"])


def test_page_two_authors_change_counts_as_the_api_says(server: str, browser: WebDriver) -> None:
    facets = ["site", "kind", "author", "lang", "thread"]
    browse = api(server, "/search", facet=facets)
    authors = [v["value"] for v in browse["facets"]["author"]["values"] if v["value"]][:2]
    if len(authors) < 2:
        pytest.skip("the shared files with named authors are not at ../shared")
    open_page(browser, f"{server}/")
    assert shown_facet(browser, "author") == api_facet(browse, "author")
    for number, author in enumerate(authors, 1):
        box = browser.find_element(By.CSS_SELECTOR, f'#facet-author input[data-value="{author}"]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
        wait(
            browser,
            lambda d, n=number: d.current_url.count("author=") == n,
            "the author in the URL",
        )
        rendered(browser)
        expected = api(server, "/search", author=authors[:number], facet=facets)
        assert text(browser, "#total") == str(expected["total"])
        for name in facets:
            assert shown_facet(browser, name) == api_facet(expected, name), name
    assert expected["total"] == sum(api_facet(browse, "author")[a] for a in authors)
    checked = browser.find_elements(By.CSS_SELECTOR, "#facet-author input:checked")
    assert sorted(b.get_attribute("data-value") for b in checked) == sorted(authors)
    chips = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#chips .chip")]
    assert chips == [f"author: {a} ×" for a in authors]


def test_page_histogram_bar_click_narrows_the_dates(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=korea")
    day = api(server, "/search", q="korea", facet="day")["facets"]["day"]["values"]
    assert text(browser, "#histogram-title") == "When (by day)"
    bars = browser.find_elements(By.CSS_SELECTOR, "#histogram .bar")
    shown = [(b.get_attribute("data-value"), int(b.get_attribute("data-count"))) for b in bars]
    assert [pair for pair in shown if pair[1]] == [
        (v["value"], v["count"]) for v in day if v["value"]
    ]
    assert len(shown) == 11  # 2005-10-01 to 2005-10-11, the empty days as empty bars
    bar = browser.find_element(By.CSS_SELECTOR, '#histogram .bar[data-value="2005-10-02"]')
    bar.click()
    wait(browser, lambda d: "since=" in d.current_url, "the range in the URL")
    rendered(browser)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert query == {"q": ["korea"], "since": ["2005-10-02"], "until": ["2005-10-02"]}
    expected = api(server, "/search", q="korea", since="2005-10-02", until="2005-10-02")
    assert text(browser, "#total") == str(expected["total"])
    assert expected["total"] == next(v["count"] for v in day if v["value"] == "2005-10-02")
    chips = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#chips .chip")]
    assert chips == ["since: 2005-10-02 ×", "until: 2005-10-02 ×"]
    selected = browser.find_elements(By.CSS_SELECTOR, "#histogram .bar.selected")
    assert [b.get_attribute("data-value") for b in selected] == ["2005-10-02"]


def test_page_drag_across_bars_narrows_to_their_span(server: str, browser: WebDriver) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    open_page(browser, f"{server}/?q=korea")
    days = [
        v["value"]
        for v in api(server, "/search", q="korea", facet="day")["facets"]["day"]["values"]
    ]
    first = browser.find_element(By.CSS_SELECTOR, f'#histogram .bar[data-value="{days[0]}"]')
    last = browser.find_element(By.CSS_SELECTOR, f'#histogram .bar[data-value="{days[2]}"]')
    ActionChains(browser).click_and_hold(first).move_to_element(last).release(last).perform()
    wait(browser, lambda d: "since=" in d.current_url, "the range in the URL")
    rendered(browser)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert (query["since"], query["until"]) == ([days[0]], [days[2]])
    expected = api(server, "/search", q="korea", since=days[0], until=days[2])
    assert text(browser, "#total") == str(expected["total"])


def test_page_show_in_thread_has_the_hit_in_view(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=bounty+hunters")
    hit = api(server, "/search", q="bounty hunters")["hits"][0]
    browser.find_element(By.CSS_SELECTOR, ".hit h3 a").click()
    wait(browser, lambda d: "/thread/" in d.current_url, "the thread page")
    rendered(browser)
    thread = api(server, f"/threads/{hit['thread_id']}")
    entries = browser.find_elements(By.CSS_SELECTOR, "#entries > li")
    assert len(entries) == thread["entry_count"] == 27
    current = browser.find_element(By.CSS_SELECTOR, ".entry.current")
    assert current.get_attribute("id") == f"e-{hit['id']}"
    in_view = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.top < window.innerHeight;",
        current,
    )
    assert in_view
    assert browser.switch_to.active_element == current
    similar = api(server, f"/entries/{hit['id']}/similar", limit=5)["hits"]
    shown = browser.find_elements(By.CSS_SELECTOR, "#similar > li > a")
    assert [a.get_attribute("href").split("entry=")[1] for a in shown] == [
        urllib.parse.quote(s["id"], safe="") for s in similar
    ]
    # Comment 10 quotes "…i am actually quite sad that this thread received only 1
    # comment": the words of comment 2, the only earlier entry that holds them.
    quoting = thread["entries"][10]
    assert [e["position"] for e in thread["entries"] if "quite sad that this" in e["body"]] == [2]
    assert quoting["quoted"].startswith("“…i am actually quite sad that this thread")
    quote_links = browser.find_elements(By.CSS_SELECTOR, f"#e-{quoting['id']} .quote-link")
    assert [a.text for a in quote_links] == ["comment 2 of 26"]
    assert quote_links[0].get_attribute("href").endswith(f"#e-{thread['entries'][2]['id']}")
    screenshot(browser, "thread-desktop.png", DESKTOP, focus=".entry.current")
    screenshot(browser, "thread-phone.png", PHONE, focus=".entry.current")
    browser.back()
    rendered(browser)
    assert browser.find_element(By.ID, "q").get_attribute("value") == "bounty hunters"


def test_page_reload_and_history_keep_the_state(server: str, browser: WebDriver) -> None:
    url = f"{server}/?q=korea&kind=comment&sort=oldest&facet=month&collapse=thread"
    expected = api(server, "/search", q="korea", kind="comment", sort="oldest", collapse="thread")
    for load in (lambda: open_page(browser, url), lambda: (browser.refresh(), rendered(browser))):
        load()
        assert browser.find_element(By.ID, "q").get_attribute("value") == "korea"
        assert browser.find_element(By.ID, "sort").get_attribute("value") == "oldest"
        assert browser.find_element(By.ID, "collapse").is_selected()
        assert browser.find_element(
            By.CSS_SELECTOR, '#facet-kind input[data-value="comment"]'
        ).is_selected()
        assert text(browser, "#histogram-title") == "When (by month)"
        assert text(browser, "#total") == str(expected["total"])
        hrefs = [
            a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".hit h3 a")
        ]
        assert [h.split("entry=")[1] for h in hrefs] == [h["id"] for h in expected["hits"]]
    browser.find_element(By.ID, "sort").send_keys("newest")
    wait(browser, lambda d: "sort=newest" in d.current_url, "the new sort in the URL")
    rendered(browser)
    browser.back()
    rendered(browser)
    assert browser.current_url == url
    assert browser.find_element(By.ID, "sort").get_attribute("value") == "oldest"
    browser.forward()
    rendered(browser)
    assert browser.find_element(By.ID, "sort").get_attribute("value") == "newest"


def test_page_did_you_mean_is_a_link(server: str, browser: WebDriver) -> None:
    expected = api(server, "/search", q="refugeez")
    assert expected["suggestion"] == "refugees"
    open_page(browser, f"{server}/?q=refugeez")
    browser.find_element(By.ID, "suggestion-link").click()
    wait(browser, lambda d: "q=refugees" in d.current_url, "the suggestion's search")
    rendered(browser)
    assert text(browser, "#total") == str(api(server, "/search", q="refugees")["total"])


def test_page_shows_script_in_a_comment_as_text(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=zanzibarfoo&sort=oldest")
    bodies = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".hit .snippet")]
    assert any("<script>window.pwned = 1</script>" in b for b in bodies), bodies
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".hit h3 a")]
    assert titles[0] == "<b>Bold</b> title zanzibarfoo"
    assert browser.find_elements(By.CSS_SELECTOR, "#hits script, #hits img, #hits b") == []
    assert browser.execute_script("return window.pwned") is None
    open_page(browser, f"{server}/thread/hostile?entry=hostile-1")
    assert text(browser, "#e-hostile-1 .body") == PAYLOAD
    assert text(browser, "#e-hostile-1 .author") == "<i>Eve</i>"
    assert browser.find_elements(By.CSS_SELECTOR, "#entries script, #entries img, #entries i") == []
    reply = browser.find_element(By.ID, "e-hostile-2")
    assert reply.get_attribute("class") == "entry depth-2"
    indent = browser.execute_script(
        "return parseFloat(getComputedStyle(arguments[0]).marginLeft)", reply
    )
    assert indent > 0  # nested under the comment it answers
    parent = reply.find_element(By.CSS_SELECTOR, ".meta a")
    assert (parent.text, parent.get_attribute("href").split("#")[1]) == (
        "reply to comment 1 of 2",
        "e-hostile-1",
    )
    assert browser.execute_script("return window.pwned") is None


def test_page_phone_width_screenshot(server: str, browser: WebDriver) -> None:
    browser.set_window_size(*PHONE)
    open_page(browser, f"{server}/?q=korea")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    viewport = browser.execute_script("return window.innerWidth")
    assert width <= viewport  # nothing wider than the phone: no sideways scrolling
    assert browser.find_element(By.ID, "facets-box").get_attribute("open") is None
    screenshot(browser, "search-phone.png", PHONE)


def test_page_next_and_previous_pages_follow_the_api(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=korea")
    browser.find_element(By.ID, "next").click()
    wait(browser, lambda d: "page=2" in d.current_url, "page 2 in the URL")
    rendered(browser)
    second = api(server, "/search", q="korea", page=2)
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".hit h3 a")]
    assert [h.split("entry=")[1] for h in hrefs] == [h["id"] for h in second["hits"]]
    assert text(browser, "#page-info") == f"page 2 of {-(-second['total'] // 10)}"
    assert browser.find_element(By.ID, "next").is_enabled() is (second["total"] > 20)
    browser.find_element(By.ID, "prev").click()
    wait(browser, lambda d: "page=" not in d.current_url, "page 1 in the URL")
    rendered(browser)
    assert not browser.find_element(By.ID, "prev").is_enabled()


def test_page_show_more_appends_the_hits_after_the_cursor(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=korea")
    first = api(server, "/search", q="korea")
    assert first["total"] > 10 and first["next_cursor"]
    browser.find_element(By.ID, "more").click()
    shown = min(first["total"], 20)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".hit")) == shown, "more hits")
    after = api(server, "/search", q="korea", cursor=first["next_cursor"])
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".hit h3 a")]
    expected = [h["id"] for h in first["hits"] + after["hits"]]
    assert [h.split("entry=")[1] for h in hrefs] == expected
    assert text(browser, "#status").startswith(f"{first['total']} hits, 1–{shown} shown (")
    assert "cursor" not in browser.current_url  # the URL keeps the search, not the scroll
    assert browser.find_element(By.ID, "more").is_displayed() is bool(after["next_cursor"])


def test_page_keyboard_alone_searches_filters_and_narrows(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/")
    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    assert browser.switch_to.active_element == browser.find_element(By.ID, "q")
    browser.switch_to.active_element.send_keys("korea", Keys.ENTER)
    wait(browser, lambda d: "q=korea" in d.current_url, "the query in the URL")
    rendered(browser)
    box = browser.find_element(By.CSS_SELECTOR, '#facet-kind input[data-value="comment"]')
    browser.execute_script("arguments[0].focus()", box)
    browser.switch_to.active_element.send_keys(Keys.SPACE)
    wait(browser, lambda d: "kind=comment" in d.current_url, "the kind in the URL")
    rendered(browser)
    bar = browser.find_element(By.CSS_SELECTOR, '#histogram .bar[data-value="2005-10-01"]')
    browser.execute_script("arguments[0].focus()", bar)
    outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", bar)
    assert outline == "solid"  # the focus is visible
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser, lambda d: "since=" in d.current_url, "the range in the URL")
    rendered(browser)
    expected = api(
        server, "/search", q="korea", kind="comment", since="2005-10-01", until="2005-10-01"
    )
    assert text(browser, "#total") == str(expected["total"])


def _luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_page_text_meets_wcag_aa_contrast(server: str, browser: WebDriver) -> None:
    open_page(browser, f"{server}/?q=bounty+hunters&author=Martyn")
    pairs = browser.execute_script(
        """
        const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
        const back = (el) => {
          for (; el; el = el.parentElement) {
            const c = rgb(getComputedStyle(el).backgroundColor);
            if (c.length < 4 || c[3] > 0) return c;
          }
          return [255, 255, 255];
        };
        return [...document.querySelectorAll(arguments[0])].filter((e) => e.offsetParent)
          .map((e) => [e.tagName + "." + e.className, rgb(getComputedStyle(e).color), back(e)]);
        """,
        "a, button, label, legend, .meta, .count, .status, .hint, mark, .chip, summary, "
        ".snippet, .histogram-axis span",
    )
    assert len(pairs) > 30
    low = []
    for name, fore, background in pairs:
        light, dark = sorted([_luminance(fore), _luminance(background)], reverse=True)
        ratio = (light + 0.05) / (dark + 0.05)
        if ratio < 4.5:
            low.append((name, fore, background, round(ratio, 2)))
    assert low == []


def test_page_bad_query_shows_the_apis_problem(server: str, browser: WebDriver) -> None:
    query = "timestamp:[foo TO bar]"
    with pytest.raises(urllib.error.HTTPError) as caught:
        api(server, "/search", q=query)
    detail = json.load(caught.value)["detail"]
    open_page(browser, f"{server}/?{urllib.parse.urlencode({'q': query})}")
    assert text(browser, "#error") == f"The search failed: {detail}"
    assert browser.find_elements(By.CSS_SELECTOR, ".hit") == []
